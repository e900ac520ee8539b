/* test-mail-service.c - the dispatcher-to-worker CLIENT record (round trip
 * and malformed input) and the choice of uid/gid for a user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib.h"
#include "pool.h"
#include "str.h"
#include "login-handoff.h"
#include "mail-service.h"

static void test_request_roundtrip(void **state)
{
	pool_t pool = pool_create("test", 1024);
	string_t *line = str_new(pool, 256);
	const char *fields[] = {"uid=1000", "home=/home/a\tb",
				"mail=maildir:~/M", NULL};
	struct login_handoff h;
	struct mail_session_params p;
	const char *error;

	memset(&h, 0, sizeof(h));
	h.session_id = "Yk3f9a2e";
	h.local_ip = "127.0.0.1";
	h.local_port = 995;
	h.remote_ip = "::1";
	h.remote_port = 40000;
	h.secured = true;
	h.tls = true;
	h.leftover = (const unsigned char *)"STAT\r\nLIST\r\n";
	h.leftover_size = 12;
	h.tag = "a1\t";
	mail_worker_request_encode(line, "al\001ice", fields, &h);
	assert_true(str_c(line)[str_len(line) - 1] == '\n');
	str_truncate(line, str_len(line) - 1);

	assert_int_equal(
	    mail_worker_request_decode(pool, str_c(line), &p, &error), 0);
	assert_string_equal(p.user, "al\001ice");
	assert_string_equal(p.session_id, "Yk3f9a2e");
	assert_string_equal(p.local_ip, "127.0.0.1");
	assert_string_equal(p.remote_ip, "::1");
	assert_int_equal(p.local_port, 995);
	assert_int_equal(p.remote_port, 40000);
	assert_true(p.secured && p.tls);
	assert_int_equal(p.leftover_size, 12);
	assert_memory_equal(p.leftover, "STAT\r\nLIST\r\n", 12);
	assert_string_equal(p.userdb_fields[0], "uid=1000");
	assert_string_equal(p.userdb_fields[1], "home=/home/a\tb");
	assert_string_equal(p.userdb_fields[2], "mail=maildir:~/M");
	assert_null(p.userdb_fields[3]);
	assert_string_equal(p.tag, "a1\t");
	assert_string_equal(mail_session_userdb_field(&p, "home"),
			    "/home/a\tb");
	assert_null(mail_session_userdb_field(&p, "hom"));
	pool_unref(&pool);
}

static const char *const bad_requests[] = {
    "",
    "LOGIN\tu\ts\t\t0\t\t0\t\t\t",
    "CLIENT\tu\ts\t\t0\t\t0\t\t",	  /* too few fields */
    "CLIENT\t\ts\t\t0\t\t0\t\t\t",	  /* empty user */
    "CLIENT\tu\ts\t\tx\t\t0\t\t\t",	  /* bad port */
    "CLIENT\tu\ts\t\t0\t\t70000\t\t\t",	  /* port range */
    "CLIENT\tu\ts\t\t0\t\t0\tsecure\t\t", /* unknown flag */
    "CLIENT\tu\ts\t\t0\t\t0\t,\t\t",	  /* empty flag */
    "CLIENT\tu\ts\t\t0\t\t0\t\t!!!!\t",	  /* bad base64 */
    "CLIENT\tu\ts\t\t0\t\t0\t\tAAAA\tt\tnoequals",
};

static void test_request_malformed(void **state)
{
	pool_t pool = pool_create("test", 1024);
	struct mail_session_params p;
	const char *error;

	for (unsigned int i = 0; i < N_ELEMENTS(bad_requests); i++) {
		error = NULL;
		assert_int_equal(mail_worker_request_decode(
				     pool, bad_requests[i], &p, &error),
				 -1);
		assert_non_null(error);
	}
	assert_int_equal(
	    mail_worker_request_decode(
		pool, "CLIENT\tu\ts\t\t0\t\t0\tsecured\t\t\tk=v", &p, &error),
	    0);
	assert_true(p.secured && !p.tls);
	assert_string_equal(p.tag, "");
	assert_null(p.local_ip);
	assert_string_equal(p.userdb_fields[0], "k=v");
	pool_unref(&pool);
}

static void test_get_ids(void **state)
{
	struct loft_settings set;
	const char *error;
	uid_t uid;
	gid_t gid;

	memset(&set, 0, sizeof(set));
	set.first_valid_uid = 500;
	if (getuid() != 0) {
		/* not root: always the current ids */
		assert_int_equal(
		    mail_service_get_ids(&set, "0", "0", &uid, &gid, &error),
		    0);
		assert_int_equal(uid, getuid());
		return;
	}
	assert_int_equal(
	    mail_service_get_ids(&set, "1000", "1000", &uid, &gid, &error), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 1000);
	/* root and low uids refused */
	assert_int_equal(
	    mail_service_get_ids(&set, "0", "1000", &uid, &gid, &error), -1);
	assert_int_equal(
	    mail_service_get_ids(&set, "100", "1000", &uid, &gid, &error), -1);
	/* nothing from userdb: mail_uid/mail_gid */
	assert_int_equal(
	    mail_service_get_ids(&set, NULL, NULL, &uid, &gid, &error), -1);
	set.mail_uid = "2000";
	set.mail_gid = "3000";
	assert_int_equal(
	    mail_service_get_ids(&set, NULL, NULL, &uid, &gid, &error), 0);
	assert_int_equal(uid, 2000);
	assert_int_equal(gid, 3000);
	/* userdb wins over mail_uid */
	assert_int_equal(
	    mail_service_get_ids(&set, "1001", NULL, &uid, &gid, &error), 0);
	assert_int_equal(uid, 1001);
	assert_int_equal(gid, 3000);
	set.last_valid_uid = 1500;
	assert_int_equal(
	    mail_service_get_ids(&set, "2000", "1", &uid, &gid, &error), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_roundtrip),
	    cmocka_unit_test(test_request_malformed),
	    cmocka_unit_test(test_get_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
