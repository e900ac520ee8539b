/* Unit tests for the dovecot-uidlist parser and writer. */
#include "lib.h"
#include "pool.h"
#include "str.h"
#include "maildir-uidlist.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

struct parse_case {
	const char *input;
	int ret;
	uint32_t uid_validity, next_uid;
	unsigned int count, skipped;
	/* expected rewrite, NULL = same as input */
	const char *output;
};

static const struct parse_case parse_cases[] = {
    /* as Dovecot 2.3 writes it */
    {"3 V1795308727 N1 G70c26729b73c026b3827000083ecc375\n"
     "1 :1700000000.M5P5.host\n"
     "2 :1700000001.M1P1.host,S=22\n"
     "3 :1700000002.M2P2.host\n",
     1, 1795308727, 4, 3, 0,
     "3 V1795308727 N4 G70c26729b73c026b3827000083ecc375\n"
     "1 :1700000000.M5P5.host\n"
     "2 :1700000001.M1P1.host,S=22\n"
     "3 :1700000002.M2P2.host\n"},
    {"3 V1795308727 N5 G70c26729b73c026b3827000083ecc375\n"
     "1 W18 :1700000000.M5P5.host\n"
     "3 W21 :1700000002.M2P2.host\n"
     "4 W21 :1700000001.M1P1.host,S=21\n",
     1, 1795308727, 5, 3, 0, NULL},
    {"3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n"
     "25020 W2211 P1a2b O3 :1199932653.M583975P6568.host,W=2211\n",
     1, 1275660208, 25022, 1, 0, NULL},
    /* empty mailbox */
    {"3 V1 N1 G00000000000000000000000000000000\n", 1, 1, 1, 0, 0, NULL},
    /* no GUID */
    {"3 V7 N3\n1 :a\n", 1, 7, 3, 1, 0, NULL},
    /* unknown header field ignored; fields in any order */
    {"3 N9 X1 V7\n", 1, 7, 9, 0, 0, "3 V7 N9\n"},
    /* old flags kept in the stored name are stripped */
    {"3 V7 N3\n2 :b:2,S\n", 1, 7, 3, 1, 0, "3 V7 N3\n2 :b\n"},
    /* version 1 (Courier) */
    {"1 1234 10\n5 msg.a:2,S\n", 1, 1234, 10, 1, 0, "3 V1234 N10\n5 :msg.a\n"},
    /* broken records skipped */
    {"3 V7 N9\nx :a\n0 :b\n3 W1\n4 :c\n4 :d\n2 :e\n5 :c\n6 !x :f\n"
     "7 :../x\n8 :\n",
     1, 7, 9, 1, 9, "3 V7 N9\n4 :c\n"},
    {"3 V7 N9\n1 :a\n2 :b", 1, 7, 9, 1, 1, "3 V7 N9\n1 :a\n"},
    {"3 V7 N2\n4294967295 :a\n4294967294 :b\n", 1, 7, 4294967295u, 1, 1,
     "3 V7 N4294967295\n4294967294 :b\n"},
    /* broken headers */
    {"", 0, 0, 1, 0, 0, NULL},
    {"3 V7 N9", 0, 0, 1, 0, 0, NULL},
    {"garbage\n1 :a\n", 0, 0, 1, 0, 0, NULL},
    {"3 V7\n1 :a\n", 0, 7, 1, 0, 0, NULL},
    {"3 Vx N1\n", 0, 0, 1, 0, 0, NULL},
    {"3 V0 N1\n", 0, 0, 1, 0, 0, NULL},
    {"2 V7 N1\n", 0, 0, 1, 0, 0, NULL},
    {"3 V99999999999 N1\n", 0, 0, 1, 0, 0, NULL},
};

static void test_parse_table(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		pool_t pool = pool_create("test", 1024);
		struct maildir_uidlist *list;
		string_t *str = str_new(pool, 256);
		int ret;

		ret = maildir_uidlist_parse(pool, "test", c->input,
					    strlen(c->input), &list);
		assert_int_equal(ret, c->ret);
		assert_int_equal(list->uid_validity, c->uid_validity);
		assert_int_equal(list->next_uid, c->next_uid);
		assert_int_equal(list->recs.count, c->count);
		assert_int_equal(list->skipped_lines, c->skipped);
		if (ret > 0) {
			maildir_uidlist_write(list, str);
			assert_string_equal(str_c(str), c->output != NULL
							    ? c->output
							    : c->input);
		}
		pool_unref(&pool);
	}
}

/* Every prefix of every case parses without crashing, and records found in
 * a prefix are a prefix of the records of the whole input. */
static void test_parse_prefixes(void **state)
{
	for (unsigned int i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const char *input = parse_cases[i].input;
		size_t len = strlen(input);

		for (size_t n = 0; n <= len; n++) {
			pool_t pool = pool_create("test", 1024);
			struct maildir_uidlist *list, *full;
			char *copy = p_strndup(pool, input, n);

			(void)maildir_uidlist_parse(pool, "test", copy, n,
						    &list);
			(void)maildir_uidlist_parse(pool, "test", input, len,
						    &full);
			assert_true(list->recs.count <= full->recs.count);
			for (unsigned int r = 0; r < list->recs.count; r++) {
				if (list->recs.items[r].uid !=
				    full->recs.items[r].uid)
					continue; /* truncated line dropped */
				assert_true(
				    strncmp(
					full->recs.items[r].basename,
					list->recs.items[r].basename,
					strlen(list->recs.items[r].basename)) ==
				    0);
			}
			pool_unref(&pool);
		}
	}
}

static void test_ext(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_uidlist *list = maildir_uidlist_new(pool, 5);
	struct maildir_uidlist_rec *rec;
	string_t *str = str_new(pool, 128);

	rec = maildir_uidlist_append(list, 1, "a");
	assert_null(maildir_uidlist_rec_get_ext(pool, rec, 'W'));
	maildir_uidlist_rec_set_ext(pool, rec, 'W', "100");
	assert_string_equal(rec->exts, "W100");
	maildir_uidlist_rec_set_ext(pool, rec, 'P', "uidl1");
	assert_string_equal(rec->exts, "W100 Puidl1");
	maildir_uidlist_rec_set_ext(pool, rec, 'W', "25");
	assert_string_equal(rec->exts, "W25 Puidl1");
	assert_string_equal(maildir_uidlist_rec_get_ext(pool, rec, 'P'),
			    "uidl1");
	rec = maildir_uidlist_append(list, 7, "b");
	assert_int_equal(list->next_uid, 8);
	assert_ptr_equal(maildir_uidlist_lookup_uid(list, 7), rec);
	assert_null(maildir_uidlist_lookup_uid(list, 3));
	maildir_uidlist_generate_guid(list->guid);
	assert_int_equal(strlen(list->guid), 32);
	maildir_uidlist_write(list, str);
	assert_true(strncmp(str_c(str), "3 V5 N8 G", 9) == 0);
	assert_non_null(strstr(str_c(str), "\n1 W25 Puidl1 :a\n7 :b\n"));
	pool_unref(&pool);
}

/* maildir_uidlist_write_part() in pieces of any size gives what
 * maildir_uidlist_write() gives; append_ref() keeps the caller's base
 * name. */
static void test_write_parts(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct maildir_uidlist *list = maildir_uidlist_new(pool, 9);
	string_t *whole = str_new(pool, 64), *parts = str_new(pool, 64);
	string_t *piece = str_new(pool, 64);
	char base[40];

	(void)state;
	for (unsigned int i = 0; i < 50; i++) {
		const char *copy;

		snprintf(base, sizeof(base), "%u.M%uP1.host", 1000 + i, i);
		copy = p_strdup(pool, base);
		assert_ptr_equal(
		    maildir_uidlist_append_ref(list, 10 + i * 3, copy)
			->basename,
		    copy);
		if (i % 7 == 0) {
			maildir_uidlist_rec_set_ext(pool, &list->recs.items[i],
						    'W', "4294967295");
		}
	}
	maildir_uidlist_write(list, whole);
	for (size_t max = 1; max < 200; max += 37) {
		unsigned int pos = 0;
		bool done;

		str_truncate(parts, 0);
		do {
			str_truncate(piece, 0);
			done =
			    maildir_uidlist_write_part(list, piece, &pos, max);
			str_append_str(parts, piece);
		} while (!done);
		assert_string_equal(str_c(parts), str_c(whole));
	}
	assert_non_null(strstr(str_c(whole),
			       "\n10 W4294967295 :1000.M0P1.host\n"
			       "13 :1001.M1P1.host\n"));
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_prefixes),
	    cmocka_unit_test(test_ext),
	    cmocka_unit_test(test_write_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
