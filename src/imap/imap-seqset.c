/* imap-seqset.c - sequence set parsing, normalising and iteration.
 *
 * Ranges are stored as pairs; nothing here expands a range into its
 * numbers. Parsing is a single pass over a NUL-terminated string. */
#include "lib.h"
#include "imap-seqset.h"

/* Parses a seq-number at *p: nz-number or "*". */
static int parse_number(const char **p, uint32_t *num_r, bool *star_r)
{
	const char *s = *p;
	uint64_t num = 0;

	*star_r = false;
	if (*s == '*') {
		*num_r = IMAP_SEQ_STAR;
		*star_r = true;
		*p = s + 1;
		return 0;
	}
	/* nz-number = digit-nz *DIGIT */
	if (*s < '1' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		num = num * 10 + (uint64_t)(*s - '0');
		if (num > UINT32_MAX)
			return -1;
	}
	*num_r = (uint32_t)num;
	*p = s;
	return 0;
}

int imap_seqset_parse(pool_t pool, const char *str, struct imap_seqset *set_r,
		      const char **error_r)
{
	unsigned int alloc = 1;
	const char *p;

	memset(set_r, 0, sizeof(*set_r));
	if (strcmp(str, "$") == 0) {
		set_r->searchres = true;
		return 0;
	}
	/* every range takes at least two bytes with its comma */
	for (p = str; *p != '\0'; p++) {
		if (*p == ',')
			alloc++;
	}
	set_r->ranges = p_new(pool, struct imap_seq_range, alloc);

	p = str;
	for (;;) {
		struct imap_seq_range *range;
		uint32_t num1, num2;
		bool star1, star2;

		if (parse_number(&p, &num1, &star1) < 0) {
			*error_r = "Invalid sequence set";
			return -1;
		}
		num2 = num1;
		star2 = star1;
		if (*p == ':') {
			p++;
			if (parse_number(&p, &num2, &star2) < 0) {
				*error_r = "Invalid sequence set";
				return -1;
			}
		}
		i_assert(set_r->count < alloc);
		range = &set_r->ranges[set_r->count++];
		if (!star1 && !star2 && num1 > num2) {
			range->seq1 = num2;
			range->seq2 = num1;
		} else if (star1 && !star2) {
			/* keep "*" in seq2 */
			range->seq1 = num2;
			range->seq2 = num1;
		} else {
			range->seq1 = num1;
			range->seq2 = num2;
		}
		if (star1 || star2)
			set_r->has_star = true;
		if (*p == '\0')
			break;
		if (*p != ',') {
			*error_r = "Invalid sequence set";
			return -1;
		}
		p++;
	}
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *r1 = a, *r2 = b;

	if (r1->seq1 != r2->seq1)
		return r1->seq1 < r2->seq1 ? -1 : 1;
	if (r1->seq2 != r2->seq2)
		return r1->seq2 < r2->seq2 ? -1 : 1;
	return 0;
}

void imap_seqset_resolve(struct imap_seqset *set, uint32_t star)
{
	unsigned int i, out = 0;

	i_assert(star >= 1 || !set->has_star);
	for (i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];

		if (r->seq1 == IMAP_SEQ_STAR)
			r->seq1 = star;
		if (r->seq2 == IMAP_SEQ_STAR)
			r->seq2 = star;
		if (r->seq1 > r->seq2) {
			uint32_t tmp = r->seq1;

			r->seq1 = r->seq2;
			r->seq2 = tmp;
		}
	}
	if (set->count > 1)
		qsort(set->ranges, set->count, sizeof(*set->ranges), range_cmp);
	/* merge overlapping and adjacent ranges */
	for (i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];

		if (out > 0 &&
		    (uint64_t)set->ranges[out - 1].seq2 + 1 >= r->seq1) {
			if (r->seq2 > set->ranges[out - 1].seq2)
				set->ranges[out - 1].seq2 = r->seq2;
			continue;
		}
		set->ranges[out++] = *r;
	}
	set->count = out;
	set->has_star = false;
	set->resolved = true;
}

uint64_t imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t total = 0;

	i_assert(set->resolved);
	for (unsigned int i = 0; i < set->count; i++)
		total +=
		    (uint64_t)set->ranges[i].seq2 - set->ranges[i].seq1 + 1;
	return total;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t num)
{
	unsigned int lo = 0, hi = set->count;

	i_assert(set->resolved);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct imap_seq_range *r = &set->ranges[mid];

		if (num < r->seq1)
			hi = mid;
		else if (num > r->seq2)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t imap_seqset_max(const struct imap_seqset *set)
{
	i_assert(set->resolved);
	return set->count == 0 ? 0 : set->ranges[set->count - 1].seq2;
}

void imap_seqset_iter_init(struct imap_seqset_iter *iter,
			   const struct imap_seqset *set)
{
	i_assert(set->resolved);
	memset(iter, 0, sizeof(*iter));
	iter->set = set;
	if (set->count > 0)
		iter->next = set->ranges[0].seq1;
}

bool imap_seqset_iter_next(struct imap_seqset_iter *iter, uint32_t *num_r)
{
	const struct imap_seqset *set = iter->set;

	if (iter->idx >= set->count)
		return false;
	*num_r = (uint32_t)iter->next;
	/* 64 bits: the step past 4294967295 must not wrap */
	if (iter->next < set->ranges[iter->idx].seq2) {
		iter->next++;
	} else if (++iter->idx < set->count) {
		iter->next = set->ranges[iter->idx].seq1;
	}
	return true;
}

static void append_num(string_t *dest, uint32_t num)
{
	if (num == IMAP_SEQ_STAR)
		str_append_c(dest, '*');
	else
		str_printfa(dest, "%u", num);
}

void imap_seqset_append(string_t *dest, const struct imap_seqset *set)
{
	if (set->searchres) {
		str_append_c(dest, '$');
		return;
	}
	for (unsigned int i = 0; i < set->count; i++) {
		const struct imap_seq_range *r = &set->ranges[i];

		if (i > 0)
			str_append_c(dest, ',');
		append_num(dest, r->seq1);
		if (r->seq1 != r->seq2) {
			str_append_c(dest, ':');
			append_num(dest, r->seq2);
		}
	}
}
