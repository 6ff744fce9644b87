/* weak_stubs.c — TEMPORARY weak definitions of the chart API so the tree links
 * while modules are written in parallel; the real definitions override them.
 * To be deleted once src/chart/ is complete. */
#include <stdio.h>
#include <string.h>

#include "runsite/chart.h"
#include "runsite/util.h"

#define WEAK __attribute__((weak))

WEAK void chart_spec_defaults(struct chart_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->width = 720;
	spec->height = 360;
	spec->scale = 2;
	spec->smoothing = 0.6;
	spec->log_y = -1;
}

WEAK int chart_write(const struct chart_spec *spec, enum chart_format fmt, const char *path,
                     struct chart_info *info)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	if (fmt == CHART_SVG)
		fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n", f);
	fclose(f);
	if (info)
		memset(info, 0, sizeof *info);
	return 1;
}

WEAK int chart_write_sparkline(const struct chart_point *pts, size_t n, int color, int width,
                               int height, const char *path)
{
	return chart_write(NULL, CHART_SVG, path, NULL);
}

WEAK char *chart_describe(const struct chart_spec *spec, const struct chart_info *info)
{
	return xstrdup(spec && spec->title ? spec->title : "chart");
}

WEAK const char *chart_color_hex(int i)
{
	return "#0072b2";
}

WEAK void chart_format_number(char *out, size_t outsz, double v)
{
	snprintf(out, outsz, "%.4g", v);
}

#include "runsite/site.h"

WEAK void site_opts_defaults(struct site_opts *o)
{
	memset(o, 0, sizeof *o);
	o->out_dir = "site";
	o->jobs = 1;
	o->smoothing = 0.6;
	o->chart_formats = (1u << CHART_SVG) | (1u << CHART_PNG);
}

WEAK int site_build(const struct discovery *d, const struct reader_opts *ropts,
                    const struct site_opts *opts)
{
	fputs("runsite: the site writer is not built yet\n", stderr);
	return EXIT_OUTPUT;
}
