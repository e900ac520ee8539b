/* imap-logout.c - imap_logout_format expansion (see imap-logout.h). */
#include "lib.h"
#include "str.h"
#include "var-expand.h"
#include "imap-logout.h"

#include <stdio.h>

#define NUM_LEN 24

int imap_logout_format(string_t *dest, const char *format,
		       const struct imap_logout_stats *stats,
		       const char **error_r)
{
	char nums[10][NUM_LEN];
	const struct var_expand_table table[] = {
	    {'i', nums[0], "input"},
	    {'o', nums[1], "output"},
	    {'\0', nums[2], "deleted"},
	    {'\0', nums[3], "expunged"},
	    {'\0', nums[4], "trashed"},
	    {'\0', nums[5], "autoexpunged"},
	    {'\0', nums[6], "fetch_hdr_count"},
	    {'\0', nums[7], "fetch_hdr_bytes"},
	    {'\0', nums[8], "fetch_body_count"},
	    {'\0', nums[9], "fetch_body_bytes"},
	    {'u', stats->user, "user"},
	    {'\0', stats->session, "session"},
	    {'\0', NULL, NULL},
	};

	snprintf(nums[0], NUM_LEN, "%llu",
		 (unsigned long long)stats->input_bytes);
	snprintf(nums[1], NUM_LEN, "%llu",
		 (unsigned long long)stats->output_bytes);
	snprintf(nums[2], NUM_LEN, "%u", stats->deleted);
	snprintf(nums[3], NUM_LEN, "%u", stats->expunged);
	snprintf(nums[4], NUM_LEN, "%u", stats->trashed);
	snprintf(nums[5], NUM_LEN, "%u", stats->autoexpunged);
	snprintf(nums[6], NUM_LEN, "%u", stats->fetch_hdr_count);
	snprintf(nums[7], NUM_LEN, "%llu",
		 (unsigned long long)stats->fetch_hdr_bytes);
	snprintf(nums[8], NUM_LEN, "%u", stats->fetch_body_count);
	snprintf(nums[9], NUM_LEN, "%llu",
		 (unsigned long long)stats->fetch_body_bytes);
	return var_expand(dest, format, table, error_r) < 0 ? -1 : 0;
}
