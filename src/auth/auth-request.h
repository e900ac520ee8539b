/* auth-request.h - one authentication or lookup in the auth process, and
 * the passdb/userdb chain that serves it.
 *
 * A request is created by a protocol connection (auth-client for SASL
 * logins, auth-master/auth-userdb for lookups), fed by a SASL mechanism,
 * and walks the configured passdbs then userdbs in order. It owns a secure
 * pool (wiped on free) that holds everything about it, credentials
 * included. The protocol connection receives the outcome through the
 * reply callback; it never sees passwords. Requests are reference
 * counted because password verification may run in the worker pool while
 * the client disconnects.
 *
 * Not here: the wire protocols (auth-client-connection.c,
 * auth-master-connection.c), the drivers (db/) and schemes. */
#ifndef LOFT_AUTH_REQUEST_H
#define LOFT_AUTH_REQUEST_H

#include "lib.h"
#include "pool.h"
#include "array.h"

struct auth;
struct auth_request;
struct mech_module;
struct passdb_module;
struct userdb_module;

enum passdb_result {
	PASSDB_RESULT_INTERNAL_FAILURE = -1,
	PASSDB_RESULT_SCHEME_NOT_AVAILABLE = -2,
	PASSDB_RESULT_USER_UNKNOWN = -3,
	PASSDB_RESULT_USER_DISABLED = -4,
	PASSDB_RESULT_PASSWORD_MISMATCH = 0,
	PASSDB_RESULT_OK = 1,
};

enum userdb_result {
	USERDB_RESULT_INTERNAL_FAILURE = -1,
	USERDB_RESULT_USER_UNKNOWN = 0,
	USERDB_RESULT_OK = 1,
};

enum auth_reply_type {
	AUTH_REPLY_CONTINUE,	  /* data = challenge to send */
	AUTH_REPLY_SUCCESS,	  /* authenticated (userdb done when wanted) */
	AUTH_REPLY_FAIL,	  /* authentication failed (delay applies) */
	AUTH_REPLY_INTERNAL_FAIL, /* temporary failure */
};

/* Outcome of a lookup-only request (auth-master USER/PASS). */
enum auth_lookup_result {
	AUTH_LOOKUP_INTERNAL_FAIL = -1,
	AUTH_LOOKUP_NOTFOUND = 0,
	AUTH_LOOKUP_OK = 1,
};

typedef void auth_request_reply_callback_t(struct auth_request *request,
					   enum auth_reply_type type,
					   const unsigned char *data,
					   size_t data_size);
typedef void auth_request_lookup_callback_t(struct auth_request *request,
					    enum auth_lookup_result result);
/* Credentials lookup for mechanisms that need the plaintext (APOP):
 * password is the plaintext when result is PASSDB_RESULT_OK. */
typedef void auth_request_credentials_callback_t(struct auth_request *request,
						 enum passdb_result result,
						 const char *password);

/* Credentials lookup in a given scheme (CRAM-MD5, SCRAM-*): credentials
 * is the scheme's raw stored value when result is PASSDB_RESULT_OK. */
typedef void auth_request_scheme_credentials_callback_t(
    struct auth_request *request, enum passdb_result result,
    const unsigned char *credentials, size_t size);

typedef ARRAY(const char *) auth_fields_t; /* "key=value" */

struct auth_request {
	pool_t pool; /* secure */
	int refcount;
	struct auth *auth;

	/* Protocol-level identity. */
	unsigned int id;
	const char *service, *session;
	const char *local_ip, *remote_ip;
	unsigned int local_port, remote_port;
	bool secured, valid_client_cert, no_penalty;
	/* From the login: "tls-exporter:<base64>" (RFC 9266) and the
	 * verified client certificate's CN; NULL when absent. */
	const char *channel_binding, *cert_username;

	/* The user name as the client gave it (mechanism output) and after
	 * auth_default_realm and auth_username_format. */
	const char *original_username;
	const char *user;
	bool invalid_user; /* failed the username checks */
	/* Master user login ("login*master", or a SASL authzid set by the
	 * mechanism before verifying): the user to log in as. While the
	 * master passdbs run, user is the master; after they accept it,
	 * user becomes this and master_user keeps the master's name. */
	const char *requested_login_user;
	const char *master_user;

	const struct mech_module *mech;
	unsigned int mech_state;
	void *mech_context;
	void *db_context;    /* the current driver's, for async steps */
	void *cache_context; /* auth-cache.c's, for a cached lookup */

	/* Chain state. */
	unsigned int passdb_idx, userdb_idx;
	enum passdb_result passdb_result;
	bool passdb_success; /* a passdb accepted the user */
	bool passdb_internal_failure;
	bool userdb_found, userdb_internal_failure;
	bool want_userdb;	  /* run the userdb chain after success */
	bool master_phase;	  /* walking the master passdbs */
	bool skip_password_check; /* an earlier passdb verified it */
	bool passdb_lookup_only;  /* PASS lookup / explain without password */
	bool passdb_failed; /* deny or allow_nets: fail whatever follows */
	/* The mechanism proved the identity itself (EXTERNAL): every passdb
	 * only looks the user up, the chain rules still apply. */
	bool nopassword_auth;
	/* Credentials lookup (APOP, CRAM-MD5, SCRAM): the passdb that
	 * decides gives its credentials instead of verifying a password;
	 * they are handed to the mechanism when the chain succeeds. */
	bool credentials_mode;
	const unsigned char *credentials; /* secure pool */
	size_t credentials_size;
	bool userdb_done;	     /* the userdb chain ran for this request */
	const char *passdb_password; /* "password" field from the passdb */
	const char *fail_reason;     /* sent with FAIL (nologin reason) */
	/* Explain trace: one line per decision, kept only when enabled. */
	bool trace_enabled;
	ARRAY(const char *) trace;
	bool finished, aborted;
	char *password; /* plaintext from the mechanism, wiped */
	auth_request_credentials_callback_t *credentials_callback;
	const char *credentials_scheme; /* NULL = plaintext */
	auth_request_scheme_credentials_callback_t *scheme_credentials_callback;
	auth_request_lookup_callback_t *lookup_callback;

	/* Fields from the passdb (returned in OK) and for the userdb. */
	auth_fields_t extra_fields;
	auth_fields_t userdb_fields;
	auth_fields_t userdb_prefetch; /* userdb_* fields from a passdb */

	auth_request_reply_callback_t *reply_callback;
	void *context;		  /* owner's (the protocol connection's) */
	struct timeout *to_delay; /* failure delay, owned by the connection */
};

/* Creates a request with refcount 1. */
struct auth_request *auth_request_new(struct auth *auth,
				      const struct mech_module *mech,
				      auth_request_reply_callback_t *reply_cb,
				      void *context);
void auth_request_ref(struct auth_request *request);
/* Drops a reference; frees (wiping) at zero; *request = NULL. */
void auth_request_unref(struct auth_request **request);
/* The owner lost interest (client disconnected): no callbacks will be
 * called any more. Does not drop the owner's reference. */
void auth_request_abort(struct auth_request *request);

/* Parses one "key=value" or boolean AUTH/USER/PASS parameter into the
 * request (service, lip, rip, lport, rport, session, secured,
 * valid-client-cert, no-penalty). Unknown keys are ignored. Returns
 * false only for a known key with a malformed value. */
bool auth_request_import(struct auth_request *request, const char *key,
			 const char *value);

/* Checks and sets the user name: refuses NUL bytes, invalid UTF-8, more
 * than 255 bytes and characters outside auth_username_chars; splits a
 * "login*master" name (auth_master_user_separator, SASL requests and
 * explain only); applies auth_username_translation, auth_default_realm
 * and auth_username_format (to both names). Returns true when valid;
 * an invalid name still sets request->user (so that the request goes on
 * as an unknown user) and request->invalid_user. */
bool auth_request_set_username(struct auth_request *request,
			       const unsigned char *name, size_t name_len,
			       const char **error_r);

/* --- used by mechanisms --- */

/* Verifies the plaintext password against the passdb chain, then (on
 * success) runs the userdb chain, then replies. password is copied. */
void auth_request_verify_plain(struct auth_request *request,
			       const char *password);
/* Runs the passdb chain without a password, for a mechanism that proved
 * the identity itself (EXTERNAL): deny passdbs, skip, username_filter,
 * allow_nets, result_* rules and nologin apply as for a password; then
 * the userdb chain; then replies. */
void auth_request_verify_nopassword(struct auth_request *request);
/* Sets the SASL authorization identity (RFC 4422 section 3.4.1) when it
 * differs from the authentication identity already set by
 * auth_request_set_username(): the request becomes a master user login
 * (Dovecot's "Master users" with a PLAIN authzid), where request->user
 * (the authcid) must be accepted by a master passdb and authzid is the
 * user logged in as. The name gets the same checks and normalisation as
 * a user name. Returns false with *error_r when it is invalid or the
 * authcid was itself a "login*master" name. */
bool auth_request_set_login_user(struct auth_request *request,
				 const unsigned char *authzid, size_t len,
				 const char **error_r);
/* Looks up the plaintext password (for APOP). The lookup walks the passdb
 * chain with every rule of a password verification (deny, skip,
 * username_filter, allow_nets, result_*, master users); the callback gets
 * the credentials of the passdb that accepted the user, or the failure.
 * nologin is applied by auth_request_success(), after the mechanism has
 * checked the credentials. */
void auth_request_lookup_credentials(struct auth_request *request,
				     auth_request_credentials_callback_t *cb);
/* Looks up the credentials in scheme (e.g. "CRAM-MD5"): a passdb storing
 * that scheme gives its raw value; a plaintext password is converted;
 * any other scheme gives PASSDB_RESULT_SCHEME_NOT_AVAILABLE. */
void auth_request_lookup_credentials_scheme(
    struct auth_request *request, const char *scheme,
    auth_request_scheme_credentials_callback_t *cb);
/* Sends a challenge (CONT). */
void auth_request_challenge(struct auth_request *request, const void *data,
			    size_t size);
/* Ends the request as failed (wrong data, malformed input). reason may be
 * NULL; it is logged when auth_verbose is set, never sent. */
void auth_request_fail(struct auth_request *request, const char *reason);
void auth_request_internal_failure(struct auth_request *request);
/* Mechanism verified the credentials itself (APOP): refuse a nologin
 * account (with its reason), else run the userdb chain when wanted and
 * reply success. */
void auth_request_success(struct auth_request *request);

/* --- used by auth-master lookups --- */

/* passdb lookup without a password (PASS), or userdb lookup (USER). */
void auth_request_lookup_passdb(struct auth_request *request,
				auth_request_lookup_callback_t *cb);
void auth_request_lookup_userdb(struct auth_request *request,
				auth_request_lookup_callback_t *cb);

/* --- used by drivers --- */

/* Adds a passdb field: "userdb_x" goes to the prefetched userdb fields;
 * others to extra_fields (replacing the same key). */
void auth_request_set_passdb_field(struct auth_request *request,
				   const char *key, const char *value);
/* Adds a userdb field; uid/gid names are resolved to numbers (an unknown
 * name is logged and the field dropped). */
void auth_request_set_userdb_field(struct auth_request *request,
				   const char *key, const char *value);
/* Value of a field in a list, or NULL. */
const char *auth_fields_find(const auth_fields_t *fields, const char *key);
/* Expands %-variables for this request (user, service, rip, lip,
 * session, home from the userdb fields). Returns the expansion or NULL
 * with *error_r. */
const char *auth_request_var_expand(struct auth_request *request,
				    const char *tmpl, const char **error_r);

/* Records one line of the explain trace when request->trace_enabled
 * (never give it a password). */
void auth_request_trace(struct auth_request *request, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
/* Turns the trace on for this request (before the chains run). */
void auth_request_enable_trace(struct auth_request *request);

/* Log prefix "driver(user,rip)" or "driver(user)". */
const char *auth_request_log_prefix(struct auth_request *request,
				    const char *driver);
/* Info line when auth_verbose (or the db's auth_verbose=yes) is set. */
void auth_request_log_info(struct auth_request *request, const char *driver,
			   const char *fmt, ...) ATTR_FORMAT(3, 4);
void auth_request_log_error(struct auth_request *request, const char *driver,
			    const char *fmt, ...) ATTR_FORMAT(3, 4);

#endif
