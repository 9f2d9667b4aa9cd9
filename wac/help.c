// SPDX-License-Identifier: GPL-2.0
/*
 * The manual: fixed sections, plus the parts made from tables (profiles,
 * options, engines, channels), rendered as --help text or as the man page
 * (wac --man > wac.1).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "judge.h"
#include "option_table.h"
#include "options.h"
#include "profile.h"

enum section_body {
	BODY_TEXT, /* paragraphs, blank-line separated */
	BODY_PRE, /* kept as laid out */
	BODY_PROFILES,
	BODY_OPTIONS,
	BODY_ENGINES,
	BODY_CHANNELS,
};

static const struct {
	const char *title;
	enum section_body body;
	const char *text;
} manual[] = {
	{"NAME", BODY_TEXT,
	 "wac - write-after-checksum stress and integrity checker for stable "
	 "pages"},
	{"SYNOPSIS", BODY_PRE,
	 "wac [OPTIONS] TARGET\n"
	 "wac verify --state FILE [--json FILE] TARGET\n"
	 "wac kmsg-classify [--json] < LOG\n"
	 "wac channels"},
	{"DESCRIPTION", BODY_TEXT,
	 "Many threads keep rewriting the sectors of TARGET (a file, created "
	 "and\n"
	 "extended as needed, or a block device) while the page cache writes "
	 "them\n"
	 "back, the way applications change pages that a checksumming device\n"
	 "(T10 DIF/DIX, iSCSI digests, RAID, btrfs) is reading. Every sector\n"
	 "written is a self-describing record (magic, run id, sector, "
	 "generation,\n"
	 "writer, CRC32C). Each sector has one owning thread; owners "
	 "interleave\n"
	 "so that several threads share every 4 KiB page.\n"
	 "\n"
	 "At the end the threads stop, everything is synced, and a verify "
	 "pass\n"
	 "reads every sector back with O_DIRECT and classifies it: ok,\n"
	 "unwritten, stale, raced, collision, hole (harmless), or torn, "
	 "misdirected,\n"
	 "foreign, future, lost, exposed (failures). A sector older than a\n"
	 "generation that a successful sync had promised is LOST: silent data\n"
	 "loss. Profile G punches, zeroes and cuts off ranges: such a HOLE\n"
	 "must read as zeros until its owner writes it again; data there\n"
	 "(old records, another run's) is EXPOSED.\n"
	 "\n"
	 "Findings come from four channels in one result: syscall errors (and\n"
	 "answers outside a syscall's contract), the kernel log (/dev/kmsg:\n"
	 "guard/ref/app tag errors, I/O errors, filesystem checksum errors, "
	 "hung\n"
	 "tasks, BUG/WARNING), the verify pass, and a watchdog that reports "
	 "any\n"
	 "operation in flight for longer than the hang timeout, with the\n"
	 "thread's kernel stack."},
	{"PROFILES (-p), after the 2011 wac", BODY_PROFILES, NULL},
	{"OPTIONS", BODY_OPTIONS, NULL},
	{"ENGINES (-e)", BODY_ENGINES, NULL},
	{"VERIFY", BODY_TEXT,
	 "wac verify --state FILE TARGET reads TARGET against a saved oracle, "
	 "for\n"
	 "instance after a remount, a dm-flakey table change or a power cut, "
	 "and\n"
	 "reports the same classes. Exit status: 0 every sector as promised,\n"
	 "1 a failing class (torn, lost ...), 2 usage or setup error (a "
	 "missing\n"
	 "state file or target)."},
	{"KERNEL LOG", BODY_TEXT,
	 "wac kmsg-classify [--json] < LOG classifies any kernel log (a "
	 "serial\n"
	 "console, dmesg output, /dev/kmsg records) with the same table wac's\n"
	 "own kernel-log reader uses, and prints the count per class, the\n"
	 "channel each class fires and its first lines. wac channels lists "
	 "every\n"
	 "channel name a result can carry in \"channels\":"},
	{"CHANNELS", BODY_CHANNELS, NULL},
	{"EXIT STATUS", BODY_PRE,
	 "0  pass\n"
	 "1  integrity failure (any failing verify class, syscall error,\n"
	 "   contract breach or kernel-log integrity message)\n"
	 "2  usage or setup error\n"
	 "3  hang (watchdog fired)"},
	{"EXAMPLES", BODY_PRE,
	 "wac -p C -t 64 -s 64k -T 30s --json run.json /mnt/pi/wac.dat\n"
	 "wac -p A --write-sync sfr-write -s 64m /mnt/loop/file\n"
	 "wac -p E -s 16m --state s.bin /dev/sdb && wac verify --state s.bin "
	 "/dev/sdb\n"
	 "wac kmsg-classify --json < serial.log"},
	{"SEE ALSO", BODY_TEXT,
	 "README.md, docs/result-schema.md (the JSON document), fio(1)"},
};

/* Print TEXT's lines, each after INDENT spaces (the first after none when
 * first_done). */
static void put_lines(FILE *out, const char *text, int indent, bool first_done)
{
	const char *nl;

	for (;;) {
		nl = strchr(text, '\n');
		if (!first_done && nl != text && *text)
			fprintf(out, "%*s", indent, "");
		first_done = false;
		fprintf(out, "%.*s\n",
			nl ? (int)(nl - text) : (int)strlen(text), text);
		if (!nl)
			return;
		text = nl + 1;
	}
}

static void option_label(char *buf, size_t len, const struct wac_option *o)
{
	int n = 0;

	if (o->short_name)
		n = snprintf(buf, len, "-%c, ", o->short_name);
	else
		n = snprintf(buf, len, "    ");
	snprintf(buf + n, len - n, "--%s%s%s", o->name, o->metavar ? " " : "",
		 o->metavar ? o->metavar : "");
}

/* TEXT's words, newlines as spaces, filled to 78 columns from column
 * INDENT (the cursor already stands there). */
static void put_filled(FILE *out, const char *text, int indent)
{
	int col = indent;
	size_t n;

	while (*text) {
		text += strspn(text, " \n");
		n = strcspn(text, " \n");
		if (!n)
			break;
		if (col > indent && col + 1 + (int)n > 78) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)n, text);
		col += n;
		text += n;
	}
	fputc('\n', out);
}

void options_print_text(FILE *out)
{
	char label[64], help[512];

	for (size_t i = 0; i < wac_noptions; i++) {
		const struct wac_option *o = &wac_options[i];

		option_label(label, sizeof(label), o);
		snprintf(help, sizeof(help), "%s%s%s%s", o->help,
			 o->def ? " (default " : "", o->def ? o->def : "",
			 o->def ? ")" : "");
		if (strlen(label) > 22)
			fprintf(out, "    %s\n%27s", label, "");
		else
			fprintf(out, "    %-22s ", label);
		put_filled(out, help, 27);
	}
}

/* TEXT with newlines as spaces (a table cell, a man paragraph). */
static void put_joined(FILE *out, const char *text, bool roff)
{
	for (; *text; text++) {
		if (*text == '\n')
			fputc(' ', out);
		else if (roff && *text == '-')
			fputs("\\-", out);
		else if (roff && *text == '\\')
			fputs("\\e", out);
		else if (*text == '|' && !roff)
			fputs("\\|", out);
		else
			fputc(*text, out);
	}
}

void options_print_markdown(FILE *out)
{
	char label[64];

	fputs("| option | default | meaning |\n|---|---|---|\n", out);
	for (size_t i = 0; i < wac_noptions; i++) {
		const struct wac_option *o = &wac_options[i];

		option_label(label, sizeof(label), o);
		fprintf(out, "| `%s` | %s | ", label + (o->short_name ? 0 : 4),
			o->def ? o->def : "");
		put_joined(out, o->help, false);
		fputs(" |\n", out);
	}
}

void options_print_roff(FILE *out)
{
	for (size_t i = 0; i < wac_noptions; i++) {
		const struct wac_option *o = &wac_options[i];

		fputs(".TP\n", out);
		if (o->short_name)
			fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", out);
		put_joined(out, o->name, true);
		fputs("\\fR", out);
		if (o->metavar)
			fprintf(out, " \\fI%s\\fR", o->metavar);
		fputc('\n', out);
		put_joined(out, o->help, true);
		if (o->def) {
			fputs(" (default ", out);
			put_joined(out, o->def, true);
			fputc(')', out);
		}
		fputc('\n', out);
	}
}

/* The table-made sections as plain lines (profiles, engines, channels). */
static void table_lines(FILE *out, enum section_body body, int indent)
{
	const char *names[64];
	unsigned n;

	switch (body) {
	case BODY_PROFILES:
		for (const struct wac_profile *p = wac_profiles; p->name; p++) {
			fprintf(out, "%*s%c   ", indent, "", p->name);
			put_lines(out, p->help, indent + 4, true);
		}
		break;
	case BODY_ENGINES:
		fprintf(out, "%*s%s (the O_DIRECT writers' I/O engines)\n",
			indent, "", engine_names());
		break;
	case BODY_CHANNELS: {
		char list[1024] = "";
		size_t len = 0;

		n = channels_known(names, 64);
		for (unsigned i = 0; i < n; i++)
			len += snprintf(list + len, sizeof(list) - len, "%s%s",
					names[i], i + 1 < n ? ", " : "");
		fprintf(out, "%*s", indent, "");
		put_filled(out, list, indent);
		break;
	}
	default:
		break;
	}
}

void print_usage(FILE *out)
{
	for (size_t i = 0; i < sizeof(manual) / sizeof(*manual); i++) {
		fprintf(out, "%s%s\n", i ? "\n" : "", manual[i].title);
		if (manual[i].body == BODY_OPTIONS)
			options_print_text(out);
		else if (manual[i].text)
			put_lines(out, manual[i].text, 4, false);
		else
			table_lines(out, manual[i].body, 4);
	}
}

static void roff_text(FILE *out, const char *text)
{
	const char *nl;

	for (;;) {
		nl = strchr(text, '\n');
		if (nl == text) {
			fputs(".PP\n", out);
		} else {
			char line[512];

			snprintf(line, sizeof(line), "%.*s",
				 nl ? (int)(nl - text) : (int)strlen(text),
				 text);
			put_joined(out, line, true);
			fputc('\n', out);
		}
		if (!nl)
			return;
		text = nl + 1;
	}
}

void print_man(FILE *out)
{
	fprintf(out, ".TH WAC 1 \"\" \"wac %s\" \"User Commands\"\n",
		WAC_VERSION);
	for (size_t i = 0; i < sizeof(manual) / sizeof(*manual); i++) {
		fputs(".SH ", out);
		put_joined(out, manual[i].title, true);
		fputc('\n', out);
		switch (manual[i].body) {
		case BODY_TEXT:
			roff_text(out, manual[i].text);
			break;
		case BODY_PRE:
			fputs(".nf\n", out);
			roff_text(out, manual[i].text);
			fputs(".fi\n", out);
			break;
		case BODY_OPTIONS:
			options_print_roff(out);
			break;
		default: {
			char *buf = NULL;
			size_t len = 0;
			FILE *mem = open_memstream(&buf, &len);

			table_lines(mem, manual[i].body, 0);
			fclose(mem);
			fputs(".nf\n", out);
			roff_text(out, buf);
			fputs(".fi\n", out);
			free(buf);
		}
		}
	}
}

int man_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	print_man(stdout);
	return WAC_EXIT_PASS;
}

int options_markdown_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	options_print_markdown(stdout);
	return WAC_EXIT_PASS;
}
