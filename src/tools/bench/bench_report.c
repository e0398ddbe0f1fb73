/* lanmsg-bench output: the terminal table, JSON, CSV and an SVG chart.
 *
 * Every figure is kept as a number until here; this file only formats. Keys
 * in JSON and CSV are stable English identifiers (scripts read them); labels
 * come from the catalog (people read them). A missing figure (NAN) is "-"
 * in the table, null in JSON and empty in CSV. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *col_key[BT_N] = {"plain", "tls12", "tls13"};
static const lm_msg_id col_label[BT_N] = {LM_M_BENCH_COL_PLAIN, LM_M_BENCH_COL_TLS12,
                                          LM_M_BENCH_COL_TLS13};
static const char *hs_key[HC_N] = {"lanmsg_tls12", "s_server_tls12", "lanmsg_tls13",
                                   "s_server_tls13"};
static const lm_msg_id hs_label[HC_N] = {LM_M_BENCH_COL_LM12, LM_M_BENCH_COL_SS12,
                                         LM_M_BENCH_COL_LM13, LM_M_BENCH_COL_SS13};
static const char *dg_key[DC_N] = {"tcp", "udp", "tls12", "dtls12"};
static const lm_msg_id dg_label[DC_N] = {LM_M_BENCH_COL_TCP, LM_M_BENCH_COL_UDP,
                                         LM_M_BENCH_COL_TLS12, LM_M_BENCH_COL_DTLS};

bench_row *br_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                  int higher_better)
{
    bench_row *r;
    if (res->nrows >= BENCH_MAX_ROWS)
        return NULL;
    r = &res->rows[res->nrows++];
    *r = (bench_row){key, label, unit, higher_better, {NAN, NAN, NAN, NAN}};
    return r;
}

bench_row *br_dg_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                     int higher_better)
{
    bench_row *r;
    if (res->ndg >= BENCH_MAX_ROWS)
        return NULL;
    r = &res->dg[res->ndg++];
    *r = (bench_row){key, label, unit, higher_better, {NAN, NAN, NAN, NAN}};
    return r;
}

bench_row *br_hs_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                     int higher_better)
{
    bench_row *r;
    if (res->nhs >= BENCH_MAX_ROWS)
        return NULL;
    r = &res->hs[res->nhs++];
    *r = (bench_row){key, label, unit, higher_better, {NAN, NAN, NAN, NAN}};
    return r;
}

double br_cost(const bench_row *row, int col)
{
    double p = row->v[BT_PLAIN], t = row->v[col];
    if (!(p > 0) || !(t > 0))
        return NAN;
    return row->higher_better ? p / t : t / p;
}

/* ==== terminal table ==== */

/* Display width of UTF-8 text: count every byte that starts a character. */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Append s, padded with spaces to `width` columns (left or right aligned). */
static void pad(char *line, size_t len, const char *s, int width, int right)
{
    size_t o = strlen(line);
    int fill = width - text_width(s);
    if (right)
        for (; fill > 0 && o + 1 < len; fill--)
            line[o++] = ' ';
    o += (size_t)snprintf(line + o, len - o, "%s", s);
    if (o >= len)
        o = len - 1;
    for (; !right && fill > 0 && o + 1 < len; fill--)
        line[o++] = ' ';
    line[o] = '\0';
}

static void fmt_num(char *out, size_t len, double v)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(out, len, "-");
    else if (a >= 1000)
        snprintf(out, len, "%.0f", v);
    else if (a >= 10)
        snprintf(out, len, "%.1f", v);
    else if (a >= 0.1)
        snprintf(out, len, "%.2f", v);
    else
        snprintf(out, len, "%.3g", v);
}

static void fmt_ratio(char *out, size_t len, double v)
{
    if (isnan(v))
        snprintf(out, len, "-");
    else
        snprintf(out, len, "x%.2f", v);
}

#define LABEL_W 54
#define NUM_W   11

/* "1.02", or "1.02 [rounds 0.98-1.05]" when the run had several rounds. */
static void fmt_ratio_range(char *out, size_t len, const bench_baseline *b)
{
    size_t o = (size_t)snprintf(out, len, "%.2f", b->ratio);
    if (!isnan(b->lo) && o < len)
        lm_format(out + o, len - o, LM_M_BENCH_RANGE, b->lo, b->hi);
}

static void print_baseline(const bench_baseline *b);

/* A table of rows over up to BENCH_MAX_COLS named columns (the handshake
 * and datagram tables). */
static void print_block(const char *title, const bench_row *rows, int n, const int *have,
                        const lm_msg_id *label, int ncols)
{
    char line[512], num[32];
    if (n == 0)
        return;
    bench_out(LM_M_BENCH_DATA, title);
    line[0] = '\0';
    pad(line, sizeof line, lm_tr(LM_M_BENCH_COL_MEASURE), LABEL_W, 0);
    pad(line, sizeof line, lm_tr(LM_M_BENCH_COL_UNIT), 6, 0);
    for (int c = 0; c < ncols; c++)
        if (have[c])
            pad(line, sizeof line, lm_tr(label[c]), NUM_W + 2, 1);
    bench_out(LM_M_BENCH_DATA, line);
    for (int i = 0; i < n; i++) {
        const bench_row *r = &rows[i];
        line[0] = '\0';
        pad(line, sizeof line, lm_tr(r->label), LABEL_W, 0);
        pad(line, sizeof line, r->unit, 6, 0);
        for (int c = 0; c < ncols; c++) {
            if (!have[c])
                continue;
            fmt_num(num, sizeof num, r->v[c]);
            pad(line, sizeof line, num, NUM_W + 2, 1);
        }
        bench_out(LM_M_BENCH_DATA, line);
    }
}

void br_print_table(const bench_results *res)
{
    char line[512], num[32];

    line[0] = '\0';
    pad(line, sizeof line, lm_tr(LM_M_BENCH_COL_MEASURE), LABEL_W, 0);
    pad(line, sizeof line, lm_tr(LM_M_BENCH_COL_UNIT), 6, 0);
    pad(line, sizeof line, lm_tr(col_label[BT_PLAIN]), NUM_W, 1);
    for (int c = BT_TLS12; c < BT_N; c++) {
        if (!res->have[c])
            continue;
        pad(line, sizeof line, lm_tr(col_label[c]), NUM_W, 1);
        pad(line, sizeof line, lm_tr(LM_M_BENCH_COL_COST), NUM_W, 1);
    }
    bench_out(LM_M_BENCH_DATA, line);
    for (int i = 0; i < res->nrows; i++) {
        const bench_row *r = &res->rows[i];
        line[0] = '\0';
        pad(line, sizeof line, lm_tr(r->label), LABEL_W, 0);
        pad(line, sizeof line, r->unit, 6, 0);
        fmt_num(num, sizeof num, r->v[BT_PLAIN]);
        pad(line, sizeof line, num, NUM_W, 1);
        for (int c = BT_TLS12; c < BT_N; c++) {
            if (!res->have[c])
                continue;
            fmt_num(num, sizeof num, r->v[c]);
            pad(line, sizeof line, num, NUM_W, 1);
            fmt_ratio(num, sizeof num, br_cost(r, c));
            pad(line, sizeof line, num, NUM_W, 1);
        }
        bench_out(LM_M_BENCH_DATA, line);
    }
    bench_out(LM_M_BENCH_COST_NOTE);
    if (res->ndg) {
        print_block(lm_tr(LM_M_BENCH_DG_TITLE), res->dg, res->ndg, res->dg_have, dg_label, DC_N);
        bench_out(LM_M_BENCH_DG_NOTE);
    }
    if (res->nhs) {
        char title[256];
        lm_format(title, sizeof title, LM_M_BENCH_HS_TITLE, res->hs_client);
        print_block(title, res->hs, res->nhs, res->hs_have, hs_label, HC_N);
    }
    bench_out(LM_M_BENCH_BASE_TITLE);
    /* Grouped by column: plain, then TLS 1.2, then TLS 1.3. */
    for (int c = 0; c < BT_N; c++)
        for (int i = 0; i < res->nbase; i++) {
            const bench_baseline *b = &res->base[i];
            if (b->col == c)
                print_baseline(b);
        }
}

static void print_baseline(const bench_baseline *b)
{
    {
        char bn[32], mn[32], rn[96], label[400];
        fmt_num(bn, sizeof bn, b->baseline);
        fmt_num(mn, sizeof mn, b->measured);
        fmt_ratio_range(rn, sizeof rn, b);
        snprintf(label, sizeof label, "%s, %s", lm_tr(col_label[b->col]), lm_tr(b->label));
        if (isnan(b->target))
            bench_out(LM_M_BENCH_BASE_EXTRA, label, bn, mn, b->unit, rn);
        else
            bench_out(LM_M_BENCH_BASE_LINE, label, bn, mn, b->unit, rn,
                      b->want_ge ? ">=" : "<=", b->target,
                      isnan(b->ratio) ? "-"
                      : (b->want_ge ? b->ratio >= b->target : b->ratio <= b->target)
                          ? lm_tr(LM_M_BENCH_MET)
                          : lm_tr(LM_M_BENCH_NOT_MET));
        bench_out(b->note, b->note_v[0], b->note_v[1], b->note_v[2], b->note_v[3], b->note_v[4]);
    }
}

/* ==== JSON and CSV ==== */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.6g", v);
}

/* "NAME_columns": [...], "NAMEs": [rows], for the handshake and datagram
 * tables. */
static void json_block(FILE *f, const char *name, const bench_row *rows, int n, const int *have,
                       const char *const *keys, int ncols)
{
    fprintf(f, "  \"%s_columns\": [", name);
    for (int c = 0, first = 1; c < ncols; c++)
        if (have[c]) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", keys[c]);
            first = 0;
        }
    fprintf(f, "],\n  \"%ss\": [\n", name);
    for (int i = 0; i < n; i++) {
        const bench_row *r = &rows[i];
        fputs("    {\"key\": ", f);
        json_str(f, r->key);
        fputs(", \"label\": ", f);
        json_str(f, lm_tr(r->label));
        fputs(", \"unit\": ", f);
        json_str(f, r->unit);
        for (int c = 0; c < ncols; c++) {
            if (!have[c])
                continue;
            fprintf(f, ", \"%s\": ", keys[c]);
            json_num(f, r->v[c]);
        }
        fprintf(f, "}%s\n", i + 1 < n ? "," : "");
    }
    fputs("  ],\n", f);
}

static int open_out(const char *path, FILE **f, char *err, size_t errlen)
{
    *f = fopen(path, "w");
    if (!*f) {
        lm_format(err, errlen, LM_M_BENCH_CANNOT_WRITE, path, strerror(errno));
        return LM_ERR;
    }
    return LM_OK;
}

static int close_out(FILE *f, const char *path, char *err, size_t errlen)
{
    if (ferror(f) | (fclose(f) != 0)) {
        lm_format(err, errlen, LM_M_BENCH_CANNOT_WRITE, path, strerror(errno));
        return LM_ERR;
    }
    return LM_OK;
}

int br_write_json(const bench_results *res, const char *path, char *err, size_t errlen)
{
    FILE *f;
    if (open_out(path, &f, err, errlen) != LM_OK)
        return LM_ERR;
    fputs("{\n  \"machine\": ", f);
    json_str(f, res->machine);
    fputs(",\n  \"tls_library\": ", f);
    json_str(f, res->tlslib);
    fputs(",\n  \"cipher\": ", f);
    json_str(f, res->cipher);
    fputs(",\n  \"cipher_reason\": ", f);
    json_str(f, res->cipher_why);
    fputs(",\n  \"suites\": {", f);
    for (int c = BT_TLS12, first = 1; c < BT_N; c++)
        if (res->have[c]) {
            fprintf(f, "%s\"%s\": ", first ? "" : ", ", col_key[c]);
            json_str(f, res->suite[c]);
            first = 0;
        }
    fputs("},\n  \"group\": ", f);
    json_str(f, res->group);
    fputs(",\n  \"certificate\": ", f);
    json_str(f, res->cert);
    fputs(",\n  \"handshake_clients\": ", f);
    json_str(f, res->hs_client);
    fprintf(f, ",\n  \"connections\": %d,\n  \"columns\": [", res->conns);
    for (int c = 0, first = 1; c < BT_N; c++)
        if (res->have[c]) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", col_key[c]);
            first = 0;
        }
    fputs("],\n  \"rows\": [\n", f);
    for (int i = 0; i < res->nrows; i++) {
        const bench_row *r = &res->rows[i];
        fputs("    {\"key\": ", f);
        json_str(f, r->key);
        fputs(", \"label\": ", f);
        json_str(f, lm_tr(r->label));
        fputs(", \"unit\": ", f);
        json_str(f, r->unit);
        fprintf(f, ", \"higher_is_better\": %s", r->higher_better ? "true" : "false");
        for (int c = 0; c < BT_N; c++) {
            if (!res->have[c])
                continue;
            fprintf(f, ", \"%s\": ", col_key[c]);
            json_num(f, r->v[c]);
            if (c != BT_PLAIN) {
                fprintf(f, ", \"%s_cost\": ", col_key[c]);
                json_num(f, br_cost(r, c));
            }
        }
        fprintf(f, "}%s\n", i + 1 < res->nrows ? "," : "");
    }
    fputs("  ],\n", f);
    json_block(f, "handshake", res->hs, res->nhs, res->hs_have, hs_key, HC_N);
    json_block(f, "datagram", res->dg, res->ndg, res->dg_have, dg_key, DC_N);
    fputs("  \"baselines\": [\n", f);
    for (int i = 0; i < res->nbase; i++) {
        const bench_baseline *b = &res->base[i];
        fputs("    {\"key\": ", f);
        json_str(f, b->key);
        fputs(", \"label\": ", f);
        json_str(f, lm_tr(b->label));
        fputs(", \"unit\": ", f);
        json_str(f, b->unit);
        fputs(", \"baseline\": ", f);
        json_num(f, b->baseline);
        fputs(", \"measured\": ", f);
        json_num(f, b->measured);
        fputs(", \"ratio\": ", f);
        json_num(f, b->ratio);
        fputs(", \"ratio_min\": ", f);
        json_num(f, b->lo);
        fputs(", \"ratio_max\": ", f);
        json_num(f, b->hi);
        fprintf(f, ", \"column\": \"%s\", \"target\": ", col_key[b->col]);
        if (isnan(b->target))
            fputs("null", f);
        else
            fprintf(f, "\"%s %.2f\"", b->want_ge ? ">=" : "<=", b->target);
        fprintf(f, "}%s\n", i + 1 < res->nbase ? "," : "");
    }
    fputs("  ]\n}\n", f);
    return close_out(f, path, err, errlen);
}

static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (!isnan(v) && !isinf(v))
        fprintf(f, "%.6g", v);
}

int br_write_csv(const bench_results *res, const char *path, char *err, size_t errlen)
{
    FILE *f;
    if (open_out(path, &f, err, errlen) != LM_OK)
        return LM_ERR;
    fputs("kind,key,label,unit,plain,tls12,tls13,tls12_cost,tls13_cost\n", f);
    for (int i = 0; i < res->nrows; i++) {
        const bench_row *r = &res->rows[i];
        fprintf(f, "measure,%s,", r->key);
        csv_field(f, lm_tr(r->label));
        fprintf(f, ",%s", r->unit);
        for (int c = 0; c < BT_N; c++)
            csv_num(f, r->v[c]);
        csv_num(f, br_cost(r, BT_TLS12));
        csv_num(f, br_cost(r, BT_TLS13));
        fputc('\n', f);
    }
    fputs("kind,key,label,unit,lanmsg_tls12,s_server_tls12,lanmsg_tls13,s_server_tls13,\n", f);
    for (int i = 0; i < res->nhs; i++) {
        const bench_row *r = &res->hs[i];
        fprintf(f, "handshake,%s,", r->key);
        csv_field(f, lm_tr(r->label));
        fprintf(f, ",%s", r->unit);
        for (int c = 0; c < HC_N; c++)
            csv_num(f, r->v[c]);
        fputs(",\n", f);
    }
    fputs("kind,key,label,unit,tcp,udp,tls12,dtls12,\n", f);
    for (int i = 0; i < res->ndg; i++) {
        const bench_row *r = &res->dg[i];
        fprintf(f, "datagram,%s,", r->key);
        csv_field(f, lm_tr(r->label));
        fprintf(f, ",%s", r->unit);
        for (int c = 0; c < DC_N; c++)
            csv_num(f, r->v[c]);
        fputs(",\n", f);
    }
    fputs("kind,key,label,unit,baseline,measured,ratio,target,ratio_min,ratio_max\n", f);
    for (int i = 0; i < res->nbase; i++) {
        const bench_baseline *b = &res->base[i];
        fprintf(f, "baseline,%s,", b->key);
        csv_field(f, lm_tr(b->label));
        fprintf(f, ",%s", b->unit);
        csv_num(f, b->baseline);
        csv_num(f, b->measured);
        csv_num(f, b->ratio);
        if (isnan(b->target))
            fputc(',', f);
        else
            fprintf(f, ",%s %.2f", b->want_ge ? ">=" : "<=", b->target);
        csv_num(f, b->lo);
        csv_num(f, b->hi);
        fputc('\n', f);
    }
    return close_out(f, path, err, errlen);
}

/* ==== SVG chart ==== */

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

/* One chart block: a legend, then one horizontal bar per column for each
 * row, scaled so that the largest value of the row fills the bar area:
 * rows with different units share one chart, and the eye compares the
 * columns within a row. Returns the y below the block. */
typedef struct svg_block {
    const bench_row *rows;
    int nrows, ncols;
    const int *have;
    const lm_msg_id *label;
    const char *const *colour;
} svg_block;

enum { SVG_LEFT = 390, SVG_BARMAX = 430, SVG_BARH = 13, SVG_WIDTH = 960 };

static int svg_block_height(const svg_block *b)
{
    int n = 0;
    for (int c = 0; c < b->ncols; c++)
        n += b->have[c];
    return b->nrows ? 30 + b->nrows * (n * (SVG_BARH + 2) + 12) : 0;
}

static int svg_draw(FILE *f, const svg_block *b, int y)
{
    int n = 0, rowh;
    char num[32];
    if (!b->nrows)
        return y;
    for (int c = 0, x = 10; c < b->ncols; c++) {
        if (!b->have[c])
            continue;
        n++;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" fill=\"%s\"/>", x, y,
                b->colour[c]);
        fprintf(f, "<text x=\"%d\" y=\"%d\">", x + 20, y + 11);
        xml_text(f, lm_tr(b->label[c]));
        fputs("</text>\n", f);
        x += 140;
    }
    y += 30;
    rowh = n * (SVG_BARH + 2) + 12;
    for (int i = 0; i < b->nrows; i++) {
        const bench_row *r = &b->rows[i];
        double max = 0;
        int by = y;
        for (int c = 0; c < b->ncols; c++)
            if (b->have[c] && r->v[c] > max)
                max = r->v[c];
        if (i % 2 == 0)
            fprintf(f, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f4f4\"/>\n",
                    y - 4, SVG_WIDTH, rowh);
        fprintf(f, "<text x=\"10\" y=\"%d\">", y + rowh / 2);
        xml_text(f, lm_tr(r->label));
        fprintf(f, " (%s, %s)</text>\n", r->unit,
                lm_tr(r->higher_better ? LM_M_BENCH_HIGHER : LM_M_BENCH_LOWER));
        for (int c = 0; c < b->ncols; c++) {
            double w;
            if (!b->have[c])
                continue;
            w = max > 0 && r->v[c] > 0 ? r->v[c] / max * SVG_BARMAX : 0;
            fmt_num(num, sizeof num, r->v[c]);
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%s</text>\n",
                    SVG_LEFT, by, w, SVG_BARH, b->colour[c], SVG_LEFT + w + 4, by + SVG_BARH - 2,
                    num);
            by += SVG_BARH + 2;
        }
        y += rowh;
    }
    return y + 10;
}

/* The comparison (plain, TLS 1.2, TLS 1.3), the handshake table (lanmsg and
 * openssl s_server) and the baselines as lines of text. */
int br_write_svg(const bench_results *res, const char *path, char *err, size_t errlen)
{
    static const char *colour[BT_N] = {"#3b7dd8", "#d9534f", "#e8a33d"};
    static const char *hs_colour[HC_N] = {"#d9534f", "#8c8c8c", "#e8a33d", "#5a5a5a"};
    svg_block main_b = {res->rows, res->nrows, BT_N, res->have, col_label, colour};
    static const char *dg_colour[DC_N] = {"#3b7dd8", "#5cb85c", "#d9534f", "#8e44ad"};
    svg_block hs_b = {res->hs, res->nhs, HC_N, res->hs_have, hs_label, hs_colour};
    svg_block dg_b = {res->dg, res->ndg, DC_N, res->dg_have, dg_label, dg_colour};
    int y, height;
    FILE *f;

    height = 110 + svg_block_height(&main_b) + svg_block_height(&hs_b) + 20 +
             svg_block_height(&dg_b) + 20 + 40 + res->nbase * 17;
    if (open_out(path, &f, err, errlen) != LM_OK)
        return LM_ERR;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_WIDTH, height, SVG_WIDTH, height);
    fputs("<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", f);
    xml_text(f, lm_tr(LM_M_BENCH_SVG_TITLE));
    fputs("</text>\n<text x=\"10\" y=\"42\" fill=\"#555\">", f);
    xml_text(f, res->machine);
    fputs("</text>\n<text x=\"10\" y=\"58\" fill=\"#555\">", f);
    xml_text(f, res->tlslib);
    for (int c = BT_TLS12; c < BT_N; c++)
        if (res->have[c]) {
            fputs("; ", f);
            xml_text(f, res->suite[c]);
        }
    fputs(", ", f);
    xml_text(f, res->group);
    fputs(", ", f);
    xml_text(f, res->cert);
    fputs("</text>\n<text x=\"10\" y=\"74\" fill=\"#555\">", f);
    xml_text(f, lm_tr(LM_M_BENCH_SVG_NOTE));
    fputs("</text>\n", f);
    y = svg_draw(f, &main_b, 84);
    if (res->nhs) {
        char title[200];
        lm_format(title, sizeof title, LM_M_BENCH_HS_TITLE, res->hs_client);
        fprintf(f, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">", y + 6);
        xml_text(f, title + (title[0] == '\n'));
        fputs("</text>\n", f);
        y = svg_draw(f, &hs_b, y + 16);
    }
    if (res->ndg) {
        fprintf(f, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">", y + 6);
        xml_text(f, lm_tr(LM_M_BENCH_DG_TITLE) + 1);
        fputs("</text>\n", f);
        y = svg_draw(f, &dg_b, y + 16);
    }
    fprintf(f, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">", y + 10);
    xml_text(f, lm_tr(LM_M_BENCH_BASE_TITLE) + 1);
    fputs("</text>\n", f);
    y += 30;
    for (int i = 0; i < res->nbase; i++) {
        const bench_baseline *b = &res->base[i];
        char rn[96], line[700];
        fmt_ratio_range(rn, sizeof rn, b);
        snprintf(line, sizeof line, "%s [%s]: x%s", lm_tr(b->label), lm_tr(col_label[b->col]), rn);
        fprintf(f, "<text x=\"10\" y=\"%d\">", y);
        xml_text(f, line);
        if (!isnan(b->target))
            fprintf(f, " (%s %.2f)", b->want_ge ? "&gt;=" : "&lt;=", b->target);
        fputs("</text>\n", f);
        y += 17;
    }
    fputs("</svg>\n", f);
    return close_out(f, path, err, errlen);
}
