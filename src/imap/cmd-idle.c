/* cmd-idle.c - IDLE (RFC 2177, RFC 9051 section 6.3.13): "+ idling", then
 * changes of the selected mailbox are reported as they happen - the
 * storage's inotify descriptor (mailbox_notify_fd()) wakes the session on
 * a delivery, a save, a flag change or an expunge by anyone - and
 * "* OK Still here" is sent every imap_idle_notify_interval. "DONE" ends
 * it; any other line is BAD. The core hands the command the lines the
 * client sends while idling (client->idle_line). */
#include "lib.h"
#include "ioloop.h"
#include "mailbox.h"
#include "imap-commands.h"

#include <strings.h>

/* Without inotify, changes are looked for this often. */
#define IDLE_POLL_MSECS 1000

struct cmd_idle_context {
	struct io *io_notify;
	struct timeout *to_keepalive;
	struct timeout *to_poll;
};

static void idle_stop(struct client_command *cmd)
{
	struct cmd_idle_context *ctx = cmd->context;

	if (ctx->io_notify != NULL)
		io_remove(&ctx->io_notify);
	if (ctx->to_keepalive != NULL)
		timeout_remove(&ctx->to_keepalive);
	if (ctx->to_poll != NULL)
		timeout_remove(&ctx->to_poll);
}

static void idle_abort(struct client_command *cmd)
{
	idle_stop(cmd);
	cmd->client->idling = false;
}

static void idle_sync(struct client *client)
{
	if (client->box != NULL && !client->disconnecting)
		(void)client_sync_mailbox(client, true);
	client_handler_end(client);
}

static void idle_notify(void *context)
{
	struct client_command *cmd = context;
	struct client *client = cmd->client;

	if (client->box != NULL)
		mailbox_notify_clear(client->box);
	idle_sync(client);
}

static void idle_poll(void *context)
{
	struct client_command *cmd = context;

	idle_sync(cmd->client);
}

static void idle_keepalive(void *context)
{
	struct client_command *cmd = context;
	struct client *client = cmd->client;

	client_send_line(client, "* OK Still here");
	client_handler_end(client);
}

bool cmd_idle(struct client_command *cmd)
{
	struct client *client = cmd->client;
	struct cmd_idle_context *ctx = cmd->context;
	unsigned int interval;
	const char *error;
	int fd;

	if (ctx == NULL) {
		if (cmd->args_count > 0) {
			client_command_bad(cmd, "Unexpected arguments.");
			return true;
		}
		ctx = p_new(cmd->pool, struct cmd_idle_context, 1);
		cmd->context = ctx;
		cmd->abort = idle_abort;
		/* report what is pending before waiting */
		if (client->box != NULL)
			(void)client_sync_mailbox(client, true);
		client_send_line(client, "+ idling");
		if (client->box != NULL) {
			fd = mailbox_notify_fd(client->box, &error);
			if (fd >= 0) {
				ctx->io_notify =
				    io_add(fd, IO_READ, idle_notify, cmd);
			} else {
				client_log(client, LOG_TYPE_WARNING,
					   "IDLE: no change notification, "
					   "polling: %s",
					   error);
				ctx->to_poll = timeout_add(IDLE_POLL_MSECS,
							   idle_poll, cmd);
			}
		}
		interval = client->set->imap_idle_notify_interval_secs;
		if (interval > 0) {
			ctx->to_keepalive =
			    timeout_add(interval * 1000, idle_keepalive, cmd);
		}
		client->idling = true;
		return false;
	}
	if (client->idle_line == NULL)
		return false;
	idle_stop(cmd);
	client->idling = false;
	if (strcasecmp(client->idle_line, "DONE") != 0) {
		client_command_bad(cmd, "Expected DONE.");
		return true;
	}
	client_command_reply(cmd, "OK Idle completed.");
	return true;
}
