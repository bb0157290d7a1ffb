/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath_sim.c - `fastpath-sim`: the exchange simulator. A matching engine per symbol,
 * a synthetic market of background traders, an ITCH 5.0 feed over MoldUDP64 (multicast
 * and/or pcap) with a rerequest server, and an OUCH 5.0 / SoupBinTCP order-entry port.
 *
 * One thread. Time: the market runs on simulated time that follows the monotonic clock
 * (events are scheduled by a Poisson process; the loop sleeps until the next one is due),
 * so that a run with a given seed and duration publishes the same messages however busy the
 * machine is; when the machine cannot keep up, simulated time lags and the run takes longer
 * (--progress shows the lag). Ends after --duration simulated seconds or on SIGINT/SIGTERM,
 * with the end-of-day system events and a MoldUDP64 end-of-session, then a summary.
 * SIGUSR1 stops the background market now, as --market-stop does at its time (a test stops
 * it once it has seen what it waits for, instead of guessing a time).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_opt.h"
#include "fp_sim_burst.h"
#include "fp_sim_engine.h"
#include "fp_sim_glimpse.h"
#include "fp_sim_itch.h"
#include "fp_sim_market.h"
#include "fp_sim_trigger.h"
#include "fp_version.h"

/* The order-entry acceptor (OUCH 5.0 over SoupBinTCP) is polled by the main loop. */
#include "fp_sim_oe.h"
#define FP_SIM_HAVE_OE 1
/* The FIX 4.4 acceptor (TCP or TLS) is a front end over the same accounts and engine. */
#include "fp_sim_fix.h"

static volatile sig_atomic_t fp_sim_quit;
static volatile sig_atomic_t fp_sim_market_stop_now; /* SIGUSR1: --market-stop, now */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		fp_sim_market_stop_now = 1;
	else
		fp_sim_quit = 1;
}

struct sim_opts {
	const char *config;
	struct fp_cfg *cfg; /**< loaded configuration: option strings point into it */
	double duration_s;  /**< simulated seconds, 0 = until a signal */
	uint64_t seed;
	const char *pcap_out;
	bool progress;
	bool json;
	const char *start_time; /**< "now" or "HH:MM:SS" */
	double fast_forward_s;  /**< simulated seconds run at once at the start */
	uint16_t snapshot_port; /**< GLIMPSE-style snapshot server (TCP), 0 = none */
	const char *book_out;   /**< displayed depth of every book written here at the end */
	double market_stop_s;   /**< background market stops at this simulated time (0 = no) */
	double trigger_rate;    /**< tick-to-trade triggers per second (0 = none) */
	double burst_factor;    /**< background rate x this in bursts (0 = no bursts) */
	double burst_ms;        /**< burst length, simulated ms */
	double burst_every;     /**< one burst every this many simulated seconds */
	bool wait_client;       /**< the market starts when the first client logs in (OUCH, FIX) */
	uint32_t max_orders;
	int smp_mode;
	struct fp_sim_market_cfg mkt;
	struct fp_sim_itch_cfg itch;
	char session[11];
	bool oe_enabled;
#if FP_SIM_HAVE_OE
	struct fp_sim_oe_cfg oe;
	struct fp_sim_oe_user users[FP_SIM_OE_MAX_USERS];
	bool fix_enabled;
	struct fp_sim_fix_cfg fix;
#endif
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath-sim [--config F] [--duration S] [--seed N] [--pcap-out F]\n"
		"                    [--rate R] [--symbols N] [--group ADDR] [--port P] "
		"[--no-udp]\n"
		"                    [--loss P] [--dup P] [--reorder P] [--halt-interval S]\n"
		"                    [--oe-port P] [--fix-port P] [--snapshot-port P]\n"
		"                    [--fast-forward S]\n"
		"                    [--book-out F] [--market-stop S] [--trigger-rate R]\n"
		"                    [--burst F] [--burst-ms MS] [--burst-every S] "
		"[--wait-client]\n"
		"                    [--progress] [--json]\n"
		"\n"
		"The exchange simulator: a matching engine per symbol, background traders, an "
		"ITCH\n"
		"5.0 feed over MoldUDP64 (UDP multicast on loopback and/or a pcap file) with a\n"
		"rerequest server, and an OUCH 5.0 / SoupBinTCP order-entry port. Runs with no\n"
		"configuration file at all; config/sim.conf documents every key.\n"
		"\n"
		"  --config F          libconfig file (groups sim, itch, ouch)\n"
		"  --duration S        simulated seconds to run (default: until SIGINT/SIGTERM)\n"
		"  --seed N            seed of the synthetic market (default 1)\n"
		"  --pcap-out F        also write the feed as Ethernet/IPv4/UDP frames to pcap F\n"
		"  --rate R            background order events per second (default 1000)\n"
		"  --symbols N         symbols in the stock directory (default 100)\n"
		"  --group ADDR        multicast group (default 239.192.0.1), --port P (26400)\n"
		"  --no-udp            no multicast (pcap only)\n"
		"  --loss/--dup/--reorder P   fault injection: probability per packet\n"
		"  --halt-interval S   mean seconds between symbol halts (default 0 = none)\n"
		"  --oe-port P         OUCH/SoupBinTCP port (default 15000; 0 = any free port)\n"
		"  --fix-port P        FIX 4.4 port when the config has a fix group (default "
		"15100)\n"
		"  --snapshot-port P   serve GLIMPSE-style book snapshots over SoupBinTCP on TCP\n"
		"                      port P of the interface (default 0 = no snapshot server)\n"
		"  --fast-forward S    start the session S simulated seconds in: the first S\n"
		"                      seconds of the market run at once (a late join in seconds)\n"
		"  --book-out F        at the end, write every symbol's displayed depth (5 "
		"levels)\n"
		"  --market-stop S     the background market stops at S simulated seconds (the\n"
		"                      feed, rerequests, snapshots and order entry stay up); with\n"
		"                      --book-out the depth is written then, books no longer "
		"move;\n"
		"                      SIGUSR1 stops the market the same way at once\n"
		"  --trigger-rate R    R tick-to-trade triggers per second on the reserved symbol\n"
		"                      ZXZZT (locate symbols + 1); the summary reports arrival -\n"
		"                      departure of the orders answering them (fp_sim_trigger.h)\n"
		"  --burst F           bursts: the background rate times F for --burst-ms (10)\n"
		"                      every --burst-every simulated seconds (1)\n"
		"  --wait-client       start the market (and the clock) when the first client "
		"has\n"
		"                      logged in (OUCH) or on (FIX), after the start-of-day "
		"messages\n"
		"  --progress          one status line per second on stderr\n"
		"  --json              the exit summary as one JSON object on the last line\n");
}

/* ---------------------------------------------------------------- options */

static void opts_default(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->start_time = "now";
	o->max_orders = 1u << 18;
	o->smp_mode = FP_SIM_SMP_CANCEL_NEWEST;
	fp_sim_market_cfg_default(&o->mkt);
	fp_sim_itch_cfg_default(&o->itch);
	o->itch.group = "239.192.0.1";
	o->itch.rerequest_port = 26401;
	memcpy(o->session, "FPSIM00001", 11);
	o->oe_enabled = true;
	o->burst_ms = 10;
	o->burst_every = 1;
#if FP_SIM_HAVE_OE
	o->oe.port = FP_SIM_OE_DEFAULT_PORT;
	o->fix.port = FP_SIM_FIX_DEFAULT_PORT;
#endif
}

/* Read the configuration file into @p o (command-line options are applied afterwards). */
static int load_config(struct sim_opts *o, const char *path)
{
	static const char *const top_keys[] = {"sim", "itch", "ouch", "fix", NULL};
	static const char *const sim_keys[] = {"seed",          "duration",
					       "start_time",    "symbols",
					       "rate",          "mix",
					       "halt_interval", "halt_duration",
					       "max_orders",    "max_orders_per_symbol",
					       "smp",           "fast_forward",
					       "trigger_rate",  "burst_factor",
					       "burst_ms",      "burst_every",
					       "wait_client",   NULL};
	static const char *const mix_keys[] = {"add",    "cancel",     "replace", "marketable",
					       "hidden", "attributed", NULL};
	static const char *const itch_keys[] = {
		"session", "group",   "port",           "interface",     "ttl",      "loop",
		"mtu",     "history", "rerequest_port", "heartbeat",     "batch_us", "loss",
		"dup",     "reorder", "pcap",           "snapshot_port", NULL};
	static const char *const smp_modes[] = {"cancel_newest", "cancel_oldest", "off", NULL};
	struct fp_cfg *c = fp_cfg_load_file(path);
	if (!c)
		return fp_err_append(-EINVAL, "configuration '%s'", path);
	int rc;
	const struct fp_cfg_node *sim = fp_cfg_lookup(c, NULL, "sim");
	const struct fp_cfg_node *mix = fp_cfg_lookup(c, sim, "mix");
	const struct fp_cfg_node *itch = fp_cfg_lookup(c, NULL, "itch");
	int64_t i64;
	int iv;
	bool bv;
	const char *sv;
	struct fp_sim_market_cfg *m = &o->mkt;
	struct fp_sim_itch_cfg *it = &o->itch;
	if ((rc = fp_cfg_check_keys(c, fp_cfg_root(c), top_keys)) < 0 ||
	    (rc = fp_cfg_check_keys(c, sim, sim_keys)) < 0 ||
	    (rc = fp_cfg_check_keys(c, mix, mix_keys)) < 0 ||
	    (rc = fp_cfg_check_keys(c, itch, itch_keys)) < 0)
		goto out;
	if ((rc = fp_cfg_get_int64(c, sim, "seed", (int64_t)o->seed, 0, INT64_MAX, &i64)) < 0)
		goto out;
	o->seed = (uint64_t)i64;
	if ((rc = fp_cfg_get_double(c, sim, "duration", o->duration_s, 0, 1e7, &o->duration_s)) <
		    0 ||
	    (rc = fp_cfg_get_string(c, sim, "start_time", o->start_time, 8, &o->start_time)) < 0 ||
	    (rc = fp_cfg_get_int(c, sim, "symbols", (int)m->nb_symbols, 1, 5000, &iv)) < 0)
		goto out;
	m->nb_symbols = (uint32_t)iv;
	if ((rc = fp_cfg_get_double(c, sim, "rate", m->rate, 0.001, 1e8, &m->rate)) < 0 ||
	    (rc = fp_cfg_get_double(c, mix, "add", m->p_add, 0.001, 1e6, &m->p_add)) < 0 ||
	    (rc = fp_cfg_get_double(c, mix, "cancel", m->p_cancel, 0, 1e6, &m->p_cancel)) < 0 ||
	    (rc = fp_cfg_get_double(c, mix, "replace", m->p_replace, 0, 1e6, &m->p_replace)) < 0 ||
	    (rc = fp_cfg_get_double(c, mix, "marketable", m->p_marketable, 0, 1e6,
				    &m->p_marketable)) < 0 ||
	    (rc = fp_cfg_get_double(c, mix, "hidden", m->p_hidden, 0, 1, &m->p_hidden)) < 0 ||
	    (rc = fp_cfg_get_double(c, mix, "attributed", m->p_attributed, 0, 1,
				    &m->p_attributed)) < 0 ||
	    (rc = fp_cfg_get_double(c, sim, "halt_interval", m->halt_interval_s, 0, 1e7,
				    &m->halt_interval_s)) < 0 ||
	    (rc = fp_cfg_get_double(c, sim, "halt_duration", m->halt_duration_s, 0.001, 1e6,
				    &m->halt_duration_s)) < 0 ||
	    (rc = fp_cfg_get_int(c, sim, "max_orders", (int)o->max_orders, 1024, (1 << 30) - 1,
				 &iv)) < 0)
		goto out;
	o->max_orders = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, sim, "max_orders_per_symbol", (int)m->max_orders_per_symbol, 1,
				 1 << 24, &iv)) < 0 ||
	    (rc = fp_cfg_get_enum(c, sim, "smp", smp_modes, o->smp_mode, &o->smp_mode)) < 0)
		goto out;
	m->max_orders_per_symbol = (uint32_t)iv;
	if ((rc = fp_cfg_get_string(c, itch, "session", o->session, 10, &sv)) < 0)
		goto out;
	if (sv != o->session) /* the default is o->session itself */
		snprintf(o->session, sizeof(o->session), "%s", sv);
	if ((rc = fp_cfg_get_string(c, itch, "group", it->group, 15, &it->group)) < 0 ||
	    (rc = fp_cfg_get_int(c, itch, "port", it->port, 1, 65535, &iv)) < 0)
		goto out;
	it->port = (uint16_t)iv;
	if ((rc = fp_cfg_get_string(c, itch, "interface", it->iface, 15, &it->iface)) < 0 ||
	    (rc = fp_cfg_get_int(c, itch, "ttl", it->ttl, 0, 255, &it->ttl)) < 0 ||
	    (rc = fp_cfg_get_bool(c, itch, "loop", it->loop, &bv)) < 0)
		goto out;
	it->loop = bv;
	if ((rc = fp_cfg_get_int(c, itch, "mtu", (int)it->mtu, 128, 65535, &iv)) < 0)
		goto out;
	it->mtu = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, itch, "history", (int)it->history, 1024, 1 << 26, &iv)) < 0)
		goto out;
	it->history = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, itch, "rerequest_port", it->rerequest_port, 0, 65535, &iv)) < 0)
		goto out;
	it->rerequest_port = (uint16_t)iv;
	if ((rc = fp_cfg_get_int(c, itch, "snapshot_port", o->snapshot_port, 0, 65535, &iv)) < 0 ||
	    (rc = fp_cfg_get_double(c, sim, "fast_forward", o->fast_forward_s, 0, 1e6,
				    &o->fast_forward_s)) < 0)
		goto out;
	o->snapshot_port = (uint16_t)iv;
	if ((rc = fp_cfg_get_double(c, sim, "trigger_rate", o->trigger_rate, 0, 1e6,
				    &o->trigger_rate)) < 0 ||
	    (rc = fp_cfg_get_double(c, sim, "burst_factor", o->burst_factor, 0, 1000,
				    &o->burst_factor)) < 0 ||
	    (rc = fp_cfg_get_double(c, sim, "burst_ms", o->burst_ms, 0.001, 1e6, &o->burst_ms)) <
		    0 ||
	    (rc = fp_cfg_get_double(c, sim, "burst_every", o->burst_every, 0.001, 1e6,
				    &o->burst_every)) < 0 ||
	    (rc = fp_cfg_get_bool(c, sim, "wait_client", o->wait_client, &o->wait_client)) < 0)
		goto out;
	double hb = (double)it->heartbeat_ns / 1e9;
	if ((rc = fp_cfg_get_double(c, itch, "heartbeat", hb, 0.001, 3600, &hb)) < 0 ||
	    (rc = fp_cfg_get_double(c, itch, "loss", it->loss, 0, 1, &it->loss)) < 0 ||
	    (rc = fp_cfg_get_double(c, itch, "dup", it->dup, 0, 1, &it->dup)) < 0 ||
	    (rc = fp_cfg_get_double(c, itch, "reorder", it->reorder, 0, 1, &it->reorder)) < 0 ||
	    (rc = fp_cfg_get_path(c, itch, "pcap", o->pcap_out, 0, &o->pcap_out)) < 0)
		goto out;
	it->heartbeat_ns = (uint64_t)(hb * 1e9);
	double batch_us = (double)it->batch_ns / 1e3;
	if ((rc = fp_cfg_get_double(c, itch, "batch_us", batch_us, 0, 1e6, &batch_us)) < 0)
		goto out;
	it->batch_ns = (uint64_t)(batch_us * 1e3);
	if (o->pcap_out && !o->pcap_out[0])
		o->pcap_out = NULL;
#if FP_SIM_HAVE_OE
	static const char *const oe_keys[] = {"enabled",      "bind",        "port",    "session",
					      "users",        "max_clients", "history", "out_buf",
					      "heartbeat_ms", "timeout_ms",  NULL};
	static const char *const user_keys[] = {"username", "password", "firm", NULL};
	const struct fp_cfg_node *oe = fp_cfg_lookup(c, NULL, "ouch");
	if ((rc = fp_cfg_check_keys(c, oe, oe_keys)) < 0 ||
	    (rc = fp_cfg_get_bool(c, oe, "enabled", o->oe_enabled, &o->oe_enabled)) < 0 ||
	    (rc = fp_cfg_get_string(c, oe, "bind", "127.0.0.1", 15, &o->oe.bind_addr)) < 0 ||
	    (rc = fp_cfg_get_int(c, oe, "port", o->oe.port, 0, 65535, &iv)) < 0)
		goto out;
	o->oe.port = (uint16_t)iv;
	if ((rc = fp_cfg_get_string(c, oe, "session", NULL, 10, &o->oe.session)) < 0 ||
	    (rc = fp_cfg_get_int(c, oe, "max_clients", 0, 0, 65536, &iv)) < 0)
		goto out;
	o->oe.max_clients = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, oe, "history", 0, 0, 1 << 26, &iv)) < 0)
		goto out;
	o->oe.history = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, oe, "out_buf", 0, 0, 1 << 26, &iv)) < 0)
		goto out;
	o->oe.out_buf = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, oe, "heartbeat_ms", 0, 0, 3600000, &iv)) < 0)
		goto out;
	o->oe.heartbeat_ms = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, oe, "timeout_ms", 0, 0, 3600000, &iv)) < 0)
		goto out;
	o->oe.timeout_ms = (uint32_t)iv;
	const struct fp_cfg_node *users = fp_cfg_lookup(c, oe, "users");
	unsigned nu = fp_cfg_length(users);
	if (nu > FP_SIM_OE_MAX_USERS) {
		rc = fp_err_set(-EINVAL, "%s:%u: ouch.users has %u accounts, at most %u",
				fp_cfg_name(c), fp_cfg_line(users), nu, FP_SIM_OE_MAX_USERS);
		goto out;
	}
	for (unsigned k = 0; k < nu; k++) {
		const struct fp_cfg_node *u = fp_cfg_elem(users, k);
		const char *un, *pw, *fm;
		if ((rc = fp_cfg_check_keys(c, u, user_keys)) < 0 ||
		    (rc = fp_cfg_require(c, u, "username")) < 0 ||
		    (rc = fp_cfg_require(c, u, "password")) < 0 ||
		    (rc = fp_cfg_get_string(c, u, "username", "", 6, &un)) < 0 ||
		    (rc = fp_cfg_get_string(c, u, "password", "", 10, &pw)) < 0 ||
		    (rc = fp_cfg_get_string(c, u, "firm", "", 4, &fm)) < 0)
			goto out;
		snprintf(o->users[k].username, sizeof(o->users[k].username), "%s", un);
		snprintf(o->users[k].password, sizeof(o->users[k].password), "%s", pw);
		snprintf(o->users[k].firm, sizeof(o->users[k].firm), "%s", fm);
	}
	o->oe.users = nu ? o->users : NULL;
	o->oe.nb_users = nu;
	static const char *const fix_keys[] = {
		"enabled",       "bind",         "port",         "comp_id",    "tls",
		"tls_cert_file", "tls_key_file", "heartbeat_ms", "timeout_ms", NULL};
	static const char *const on_off[] = {"on", "off", NULL};
	const struct fp_cfg_node *fx = fp_cfg_lookup(c, NULL, "fix");
	int tls = 0;
	if ((rc = fp_cfg_check_keys(c, fx, fix_keys)) < 0 ||
	    (rc = fp_cfg_get_bool(c, fx, "enabled", fx != NULL, &o->fix_enabled)) < 0 ||
	    (rc = fp_cfg_get_string(c, fx, "bind", "127.0.0.1", 15, &o->fix.bind_addr)) < 0 ||
	    (rc = fp_cfg_get_int(c, fx, "port", o->fix.port, 0, 65535, &iv)) < 0)
		goto out;
	o->fix.port = (uint16_t)iv;
	if ((rc = fp_cfg_get_string(c, fx, "comp_id", "FPSIM", 32, &o->fix.comp_id)) < 0 ||
	    (rc = fp_cfg_get_enum(c, fx, "tls", on_off, 0, &tls)) < 0 ||
	    (rc = fp_cfg_get_path(c, fx, "tls_cert_file", "", 4095, &o->fix.tls_cert_file)) < 0 ||
	    (rc = fp_cfg_get_path(c, fx, "tls_key_file", "", 4095, &o->fix.tls_key_file)) < 0 ||
	    (rc = fp_cfg_get_int(c, fx, "heartbeat_ms", 0, 0, 3600000, &iv)) < 0)
		goto out;
	o->fix.heartbeat_ms = (uint32_t)iv;
	if ((rc = fp_cfg_get_int(c, fx, "timeout_ms", 0, 0, 3600000, &iv)) < 0)
		goto out;
	o->fix.timeout_ms = (uint32_t)iv;
	if (o->fix_enabled && tls == 0 && (!o->fix.tls_cert_file[0] || !o->fix.tls_key_file[0])) {
		rc = fp_err_set(-EINVAL,
				"%s:%u: fix.tls is on (the default): tls_cert_file and "
				"tls_key_file are required; tls = \"off\" for plain TCP",
				fp_cfg_name(c), fx ? fp_cfg_line(fx) : 0);
		goto out;
	}
	if (tls == 1)
		o->fix.tls_cert_file = o->fix.tls_key_file = NULL;
#endif
out:
	/* On success the configuration stays loaded until exit: strings point into it. */
	if (rc < 0)
		fp_cfg_free(c);
	else
		o->cfg = c;
	return rc;
}

static int parse_args(int argc, char **argv, struct sim_opts *o)
{
	int rc;
	uint64_t u;
	/* The configuration first, so that options given on the command line win. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc)
				return fp_err_set(-EINVAL, "--config needs a file");
			o->config = argv[++i];
		}
	}
	if (o->config && (rc = load_config(o, o->config)) < 0)
		return rc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
#define NEED_ARG()                                                         \
	do {                                                               \
		if (!has)                                                  \
			return fp_err_set(-EINVAL, "%s needs a value", a); \
	} while (0)
		if (!strcmp(a, "--config")) {
			i++;
		} else if (!strcmp(a, "--duration")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1e7, &o->duration_s)) < 0)
				return rc;
		} else if (!strcmp(a, "--seed")) {
			NEED_ARG();
			if ((rc = fp_opt_u64(a, argv[++i], 0, UINT64_MAX, &o->seed)) < 0)
				return rc;
		} else if (!strcmp(a, "--pcap-out")) {
			NEED_ARG();
			o->pcap_out = argv[++i];
		} else if (!strcmp(a, "--rate")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0.001, 1e8, &o->mkt.rate)) < 0)
				return rc;
		} else if (!strcmp(a, "--symbols")) {
			NEED_ARG();
			if ((rc = fp_opt_u64(a, argv[++i], 1, 5000, &u)) < 0)
				return rc;
			o->mkt.nb_symbols = (uint32_t)u;
		} else if (!strcmp(a, "--group")) {
			NEED_ARG();
			o->itch.group = argv[++i];
		} else if (!strcmp(a, "--port")) {
			NEED_ARG();
			if ((rc = fp_opt_u64(a, argv[++i], 1, 65535, &u)) < 0)
				return rc;
			o->itch.port = (uint16_t)u;
		} else if (!strcmp(a, "--no-udp")) {
			o->itch.group = NULL;
		} else if (!strcmp(a, "--loss")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1, &o->itch.loss)) < 0)
				return rc;
		} else if (!strcmp(a, "--dup")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1, &o->itch.dup)) < 0)
				return rc;
		} else if (!strcmp(a, "--reorder")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1, &o->itch.reorder)) < 0)
				return rc;
		} else if (!strcmp(a, "--halt-interval")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1e7, &o->mkt.halt_interval_s)) < 0)
				return rc;
		} else if (!strcmp(a, "--oe-port")) {
			NEED_ARG();
			if ((rc = fp_opt_u64(a, argv[++i], 0, 65535, &u)) < 0)
				return rc;
#if FP_SIM_HAVE_OE
			o->oe.port = (uint16_t)u;
#endif
		} else if (!strcmp(a, "--fix-port")) {
			NEED_ARG();
			if ((rc = fp_opt_u64(a, argv[++i], 0, 65535, &u)) < 0)
				return rc;
#if FP_SIM_HAVE_OE
			o->fix.port = (uint16_t)u;
#endif
		} else if (!strcmp(a, "--snapshot-port")) {
			NEED_ARG();
			if ((rc = fp_opt_u64(a, argv[++i], 0, 65535, &u)) < 0)
				return rc;
			o->snapshot_port = (uint16_t)u;
		} else if (!strcmp(a, "--fast-forward")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1e6, &o->fast_forward_s)) < 0)
				return rc;
		} else if (!strcmp(a, "--market-stop")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1e7, &o->market_stop_s)) < 0)
				return rc;
		} else if (!strcmp(a, "--trigger-rate")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1e6, &o->trigger_rate)) < 0)
				return rc;
		} else if (!strcmp(a, "--burst")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0, 1000, &o->burst_factor)) < 0)
				return rc;
		} else if (!strcmp(a, "--burst-ms")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0.001, 1e6, &o->burst_ms)) < 0)
				return rc;
		} else if (!strcmp(a, "--burst-every")) {
			NEED_ARG();
			if ((rc = fp_opt_num(a, argv[++i], 0.001, 1e6, &o->burst_every)) < 0)
				return rc;
		} else if (!strcmp(a, "--wait-client")) {
			o->wait_client = true;
		} else if (!strcmp(a, "--book-out")) {
			NEED_ARG();
			o->book_out = argv[++i];
		} else if (!strcmp(a, "--progress")) {
			o->progress = true;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else {
			return fp_err_set(-EINVAL, "unknown option '%s' (try --help)", a);
		}
#undef NEED_ARG
	}
	if (o->burst_factor > 0 && o->burst_ms / 1e3 >= o->burst_every)
		return fp_err_set(-EINVAL,
				  "--burst-ms (%g) must be shorter than --burst-every (%g s)",
				  o->burst_ms, o->burst_every);
	o->mkt.seed = o->seed;
	o->itch.seed = o->seed;
	o->itch.pcap_path = o->pcap_out;
	memset(o->itch.session, ' ', 10);
	memcpy(o->itch.session, o->session, strnlen(o->session, 10));
	return 0;
}

/* ---------------------------------------------------------------- clocks */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ITCH time of the start (ns since midnight US Eastern, the venue's day) and the epoch
 * time of that midnight (UTC ns since 1970: what the pcap records carry). */
static int session_clock(const char *start, uint64_t *ts0, uint64_t *midnight)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t off = fp_sim_eastern_offset_s((int64_t)now.tv_sec);
	uint64_t local = (uint64_t)((int64_t)now.tv_sec + off);
	uint64_t day = local / 86400 * 86400;
	*midnight = (uint64_t)((int64_t)day - off) * 1000000000ull;
	if (!strcmp(start, "now")) {
		*ts0 = (local - day) * 1000000000ull + (uint64_t)now.tv_nsec;
		return 0;
	}
	unsigned h, m, s;
	char extra;
	if (sscanf(start, "%u:%u:%u%c", &h, &m, &s, &extra) != 3 || h > 23 || m > 59 || s > 59)
		return fp_err_set(-EINVAL, "start_time must be \"now\" or HH:MM:SS, got '%s'",
				  start);
	*ts0 = ((uint64_t)h * 3600 + m * 60 + s) * 1000000000ull;
	return 0;
}

/* ---------------------------------------------------------------- summary */

struct sim_run {
	struct sim_opts o;
	struct fp_sim_engine *eng;
	struct fp_sim_market *mkt;
	struct fp_sim_itch *itch;
	struct fp_sim_glimpse *glimpse;
	struct fp_sim_trigger *trigger; /**< --trigger-rate, else NULL */
	struct fp_sim_burst burst;      /**< --burst (burst.factor 0: none) */
#if FP_SIM_HAVE_OE
	struct fp_sim_oe oe;
	bool oe_up;
	struct fp_sim_fix fix;
	bool fix_up;
#endif
	uint64_t t0_mono;
	double wall_s;
	double sim_s;
};

static uint64_t clients_of(const struct sim_run *r)
{
#if FP_SIM_HAVE_OE
	return r->oe_up ? fp_sim_oe_stats(&r->oe)->nb_logins : 0;
#else
	(void)r;
	return 0;
#endif
}

/* A client is there to trade: logged in over OUCH now, or logged on over FIX (once). */
static bool client_in(const struct sim_run *r)
{
#if FP_SIM_HAVE_OE
	return r->oe.st.nb_logged_in || (r->fix_up && fp_sim_fix_stats(&r->fix)->nb_logons);
#else
	(void)r;
	return false;
#endif
}

/* The venue's record per account: what the pipeline's positions must reconcile with. */
static void print_accounts_json(FILE *out, const struct sim_run *r)
{
	struct fp_sim_oe_record rec;
	const char *user;

	fputs(", \"accounts\": [", out);
	for (uint32_t i = 0; r->oe_up && fp_sim_oe_account_record(&r->oe, i, &rec, &user); i++)
		fprintf(out,
			"%s{\"user\": \"%s\", \"fills\": %" PRIu64 ", \"bought\": %" PRIu64
			", \"sold\": %" PRIu64 ", \"position\": %" PRId64 ", \"cash\": %" PRId64
			", \"orders\": %" PRIu64 ", \"dup_clordid\": %" PRIu64 "}",
			i ? ", " : "", user, rec.nb_fills, rec.bought, rec.sold, rec.position,
			rec.cash, rec.nb_orders, rec.nb_dup_clordid);
	fputs("]", out);
}

static void print_summary(const struct sim_run *r)
{
	const struct fp_sim_itch_stats *is = fp_sim_itch_stats(r->itch);
	const struct fp_sim_engine_stats *es = fp_sim_engine_stats(r->eng);
	const struct fp_sim_market_stats *ms = fp_sim_market_stats(r->mkt);
	FILE *out = stdout;
	fprintf(out,
		"fastpath-sim: %.3f s simulated in %.3f s, %u symbols, seed %" PRIu64 "\n"
		"  feed:    %" PRIu64 " messages in %" PRIu64 " packets (%" PRIu64 " data, %" PRIu64
		" heartbeats, %" PRIu64 " end of session), %" PRIu64 " bytes\n",
		r->sim_s, r->wall_s, r->o.mkt.nb_symbols, r->o.seed, is->nb_msgs, is->nb_packets,
		is->nb_data_packets, is->nb_heartbeats, is->nb_end, is->nb_bytes);
	fprintf(out, "  by type:");
	for (int t = 0; t < 128; t++)
		if (is->by_type[t])
			fprintf(out, " %c %" PRIu64, t, is->by_type[t]);
	fprintf(out, "\n");
	fprintf(out,
		"  faults:  %" PRIu64 " dropped, %" PRIu64 " duplicated, %" PRIu64
		" reordered; rerequests %" PRIu64 " (%" PRIu64 " bad), %" PRIu64
		" messages resent\n",
		is->nb_dropped, is->nb_duplicated, is->nb_reordered, is->nb_requests,
		is->nb_bad_requests, is->nb_retrans_msgs);
	fprintf(out,
		"  engine:  %" PRIu64 " orders (%" PRIu64 " rejected), %" PRIu64 " trades, %" PRIu64
		" shares, %" PRIu64 " cancels, %" PRIu64 " replaces, %u live\n",
		es->nb_accepted, es->nb_rejected, es->nb_trades, es->nb_shares, es->nb_cancel,
		es->nb_replace, es->nb_live);
	fprintf(out,
		"  market:  %" PRIu64 " events: %" PRIu64 " adds, %" PRIu64 " cancels, %" PRIu64
		" reductions, %" PRIu64 " replaces, %" PRIu64 " marketable, %" PRIu64 " halts\n",
		ms->nb_events, ms->nb_add, ms->nb_cancel, ms->nb_reduce, ms->nb_replace,
		ms->nb_marketable, ms->nb_halts);
#if FP_SIM_HAVE_OE
	if (r->oe_up) {
		const struct fp_sim_oe_stats *os = fp_sim_oe_stats(&r->oe);
		fprintf(out,
			"  clients: %" PRIu64 " logins (%" PRIu64 " rejected), %" PRIu64
			" connections, %" PRIu64 " OUCH in, %" PRIu64 " out, %" PRIu64
			" disconnected as misbehaving\n",
			os->nb_logins, os->nb_login_rejected, os->nb_connections, os->nb_msgs_in,
			os->nb_msgs_out,
			os->nb_bad_framing + os->nb_bad_ouch + os->nb_slow_readers);
	}
	if (r->fix_up) {
		const struct fp_sim_fix_stats *fs = fp_sim_fix_stats(&r->fix);
		fprintf(out,
			"  fix:     %" PRIu64 " logons (%" PRIu64 " refused), %" PRIu64
			" connections (%" PRIu64 " TLS failed), %" PRIu64 " in, %" PRIu64
			" out, %" PRIu64 " resent, %" PRIu64 " garbled, %" PRIu64 " seq too low\n",
			fs->nb_logons, fs->nb_logon_rejected, fs->nb_connections, fs->nb_tls_failed,
			fs->nb_msgs_in, fs->nb_msgs_out, fs->nb_resent, fs->nb_garbled,
			fs->nb_seq_low);
	}
#endif
	if (r->trigger)
		fp_sim_trigger_print(out, r->trigger, false);
	if (!r->o.json)
		return;
	fprintf(out, "{\"messages\": %" PRIu64 ", \"by_type\": {", is->nb_msgs);
	const char *sep = "";
	for (int t = 0; t < 128; t++) {
		if (is->by_type[t]) {
			fprintf(out, "%s\"%c\": %" PRIu64, sep, t, is->by_type[t]);
			sep = ", ";
		}
	}
	fprintf(out,
		"}, \"packets\": %" PRIu64 ", \"data_packets\": %" PRIu64
		", \"heartbeats\": %" PRIu64 ", \"end_of_session\": %" PRIu64
		", \"orders\": %" PRIu64 ", \"rejected\": %" PRIu64 ", \"trades\": %" PRIu64
		", \"shares\": %" PRIu64 ", \"clients\": %" PRIu64 ", \"dropped\": %" PRIu64
		", \"duplicated\": %" PRIu64 ", \"reordered\": %" PRIu64 ", \"next_seq\": %" PRIu64
		", \"seed\": %" PRIu64 ", \"symbols\": %u, \"sim_s\": %.3f, \"wall_s\": %.3f",
		is->nb_packets, is->nb_data_packets, is->nb_heartbeats, is->nb_end, es->nb_accepted,
		es->nb_rejected, es->nb_trades, es->nb_shares, clients_of(r), is->nb_dropped,
		is->nb_duplicated, is->nb_reordered, fp_sim_itch_next_seq(r->itch), r->o.seed,
		r->o.mkt.nb_symbols, r->sim_s, r->wall_s);
	print_accounts_json(out, r);
	if (r->trigger)
		fp_sim_trigger_print(out, r->trigger, true);
	if (r->burst.factor > 0)
		fprintf(out, ", \"bursts\": %" PRIu64, r->burst.nb_bursts);
	fputs("}\n", out);
}

static void print_progress(const struct sim_run *r, uint64_t sim_ns, uint64_t mono,
			   uint64_t *last_msgs)
{
	const struct fp_sim_itch_stats *is = fp_sim_itch_stats(r->itch);
	const struct fp_sim_engine_stats *es = fp_sim_engine_stats(r->eng);
	uint64_t wall = mono - r->t0_mono;
	double lag_ms = wall > sim_ns ? (double)(wall - sim_ns) / 1e6 : 0;
	fprintf(stderr,
		"fastpath-sim: t=%.0fs msgs=%" PRIu64 " (+%" PRIu64 "/s) pkts=%" PRIu64
		" orders=%" PRIu64 " trades=%" PRIu64 " live=%u clients=%" PRIu64 " lag=%.1fms",
		(double)sim_ns / 1e9, is->nb_msgs, is->nb_msgs - *last_msgs, is->nb_packets,
		es->nb_accepted, es->nb_trades, es->nb_live, clients_of(r), lag_ms);
	if (r->trigger)
		fprintf(stderr,
			" triggers=%" PRIu64 " answered=%" PRIu64 " extra=%" PRIu64
			" stray=%" PRIu64,
			fp_sim_trigger_stats(r->trigger)->nb_sent,
			fp_sim_trigger_stats(r->trigger)->nb_answered,
			fp_sim_trigger_stats(r->trigger)->nb_extra,
			fp_sim_trigger_stats(r->trigger)->nb_stray);
	fputc('\n', stderr);
	*last_msgs = is->nb_msgs;
}

/* ---------------------------------------------------------------- main loop */

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	nanosleep(&ts, NULL);
}

/* --book-out: the books as they stand after the last market event (written to a temporary
 * name first, so that a reader sees the whole file or none). */
static int write_book(struct sim_run *r)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->o.book_out);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return fp_err_set(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	fp_sim_glimpse_write_depth(f, r->eng, r->mkt, 5);
	if (fclose(f) != 0 || rename(tmp, r->o.book_out) != 0)
		return fp_err_set(-errno, "cannot write '%s': %s", r->o.book_out, strerror(errno));
	return 0;
}

static int run(struct sim_run *r)
{
	struct sim_opts *o = &r->o;
	uint64_t ts0 = 0, midnight = 0;
	int rc;
	if ((rc = session_clock(o->start_time, &ts0, &midnight)) < 0)
		return rc;
	o->itch.midnight_epoch_ns = midnight;
	if (!(r->itch = fp_sim_itch_create(&o->itch)))
		return fp_err_append(-errno, "ITCH publisher");
	/* Room for every background book at its cap, plus 65536 client orders. */
	uint64_t need = (uint64_t)o->mkt.nb_symbols * o->mkt.max_orders_per_symbol + 65536;
	if (o->max_orders < need)
		o->max_orders = need < (1u << 30) - 1 ? (uint32_t)need : (1u << 30) - 1;
	struct fp_sim_engine_cfg ecfg = {
		.max_orders = o->max_orders,
		.max_symbols = (uint16_t)o->mkt.nb_symbols,
		.max_owners = 256,
		.smp_mode = (uint8_t)o->smp_mode,
		.md_listener = {r->itch, fp_sim_itch_on_md},
	};
#if FP_SIM_HAVE_OE
	if (o->oe_enabled)
		ecfg.order_listener = fp_sim_oe_listener(&r->oe);
#endif
	if (o->trigger_rate > 0) { /* the reserved symbol: one past the market's */
		struct fp_sim_trigger_cfg tc = {.rate = o->trigger_rate,
						.locate = (uint16_t)(o->mkt.nb_symbols + 1)};
		if (!(r->trigger = fp_sim_trigger_create(&tc)))
			return fp_err_append(-errno, "tick-to-trade triggers");
		ecfg.max_symbols = tc.locate;
		ecfg.order_listener = fp_sim_trigger_listener(r->trigger, ecfg.order_listener,
							      &r->oe.recv_mono_ns);
	}
	if (!(r->eng = fp_sim_engine_create(&ecfg)))
		return fp_err_append(-errno, "matching engine");
	if (!(r->mkt = fp_sim_market_create(&o->mkt, r->eng)))
		return fp_err_append(-errno, "synthetic market");
#if FP_SIM_HAVE_OE
	if (o->oe_enabled) {
		if (!o->oe.session)
			o->oe.session = o->session;
		if ((rc = fp_sim_oe_init(&r->oe, &o->oe, r->eng)) < 0)
			return fp_err_append(rc, "order entry (OUCH) on port %u", o->oe.port);
		r->oe_up = true;
		r->oe.stamp_recv = r->trigger != NULL;
		if (o->fix_enabled) {
			if ((rc = fp_sim_fix_init(&r->fix, &o->fix, &r->oe)) < 0)
				return fp_err_append(rc, "order entry (FIX 4.4) on port %u",
						     o->fix.port);
			r->fix_up = true;
			fprintf(stderr, "fastpath-sim: FIX 4.4 acceptor on port %u (%s)\n",
				fp_sim_fix_port(&r->fix), o->fix.tls_cert_file ? "TLS" : "TCP");
		}
	}
#endif

	if (o->snapshot_port) {
		struct fp_sim_glimpse_cfg gc = {.bind_addr = o->itch.iface,
						.port = o->snapshot_port};
		memcpy(gc.session, o->itch.session, sizeof(gc.session));
		if (!(r->glimpse = fp_sim_glimpse_create(&gc, r->eng, r->mkt, r->itch)))
			return fp_err_append(-errno, "snapshot server");
	}

	/* Start of day: messages, directory, trading state of every symbol, system hours,
	 * market hours (the order of a NASDAQ day). */
	uint32_t n = fp_sim_market_nb_symbols(r->mkt);
	fp_sim_itch_system_event(r->itch, 'O', ts0);
	for (uint16_t l = 1; l <= n; l++)
		fp_sim_itch_stock_directory(r->itch, fp_sim_market_stock(r->mkt, l), ts0);
	fp_sim_itch_system_event(r->itch, 'S', ts0);
	for (uint16_t l = 1; l <= n; l++)
		fp_sim_engine_set_state(r->eng, l, FP_SIM_STATE_TRADING, NULL, ts0);
	if (r->trigger &&
	    (rc = fp_sim_trigger_open(r->trigger, r->eng, r->itch, ts0, mono_ns())) < 0)
		return rc;
	fp_sim_itch_system_event(r->itch, 'Q', ts0);
	fp_sim_itch_flush(r->itch, ts0);

	/* --wait-client: the session opens for the market when a client is there to trade
	 * (benchmarks measure from then on); until then order entry and rerequests run. */
	while (o->wait_client && r->oe_up && !client_in(r) && !fp_sim_quit) {
		fp_sim_oe_set_time(&r->oe, ts0);
		unsigned w = fp_sim_oe_poll(&r->oe) + fp_sim_itch_poll(r->itch, ts0, mono_ns(), 64);
		if (r->fix_up)
			w += fp_sim_fix_poll(&r->fix);
		if (!w)
			sleep_ns(1000000);
	}
	uint64_t dur_ns = (uint64_t)(o->duration_s * 1e9);
	if (o->burst_factor > 0)
		fp_sim_burst_init(&r->burst, o->mkt.rate, o->burst_factor, o->burst_ms / 1e3,
				  o->burst_every);
	/* --fast-forward: the clock starts that far into the session; the market catches up
	 * at once (65536 events a step, the network polled between steps). */
	uint64_t ff_ns = (uint64_t)(o->fast_forward_s * 1e9);
	uint64_t stop_ns = (uint64_t)(o->market_stop_s * 1e9);
	bool stopped = false;
	r->t0_mono = mono_ns();
	uint64_t next_progress = r->t0_mono + 1000000000ull;
	uint64_t last_msgs = 0;
	uint64_t sim = 0;
	while (!fp_sim_quit) {
		uint64_t mono = mono_ns();
		uint64_t wall = mono - r->t0_mono + ff_ns;
		/* Simulated time follows the wall clock but never skips events: a step runs
		 * at most 65536 events, then the loop polls the network again. */
		uint64_t target = dur_ns && wall > dur_ns ? dur_ns : wall;
		if (fp_sim_market_stop_now && target > 0 && (!stop_ns || target < stop_ns))
			stop_ns = target; /* SIGUSR1: the market stops at this simulated time */
		if (stop_ns && target >= stop_ns) { /* --market-stop: books stand still */
			target = stop_ns;
			if (!stopped && fp_sim_market_next_ns(r->mkt) > stop_ns) {
				stopped = true;
				fp_sim_itch_flush(r->itch, ts0 + stop_ns);
				if (o->book_out && (rc = write_book(r)) < 0)
					return rc;
			}
		}
		/* A trigger waiting for its answer: short steps, so that its arrival is seen. */
		bool waiting = r->trigger && fp_sim_trigger_waiting(r->trigger, mono);
		if (r->burst.factor > 0)
			fp_sim_burst_step(&r->burst, r->mkt, target);
		unsigned work = fp_sim_market_step(r->mkt, target, ts0, waiting ? 64 : 65536);
		uint64_t next = fp_sim_market_next_ns(r->mkt);
		sim = next > target ? target : next;
		fp_sim_itch_flush_due(r->itch, ts0 + sim);
		work += fp_sim_itch_poll(r->itch, ts0 + sim, mono, 64);
		if (r->glimpse)
			work += fp_sim_glimpse_poll(r->glimpse, ts0 + sim);
#if FP_SIM_HAVE_OE
		/* Order entry: clients' OUCH requests go straight into the engine. */
		if (r->oe_up) {
			fp_sim_oe_set_time(&r->oe, ts0 + sim); /* one clock for every message */
			unsigned oe_work = fp_sim_oe_poll(&r->oe);
			if (r->fix_up)
				oe_work += fp_sim_fix_poll(&r->fix);
			if (oe_work) /* clients' trades go out at once */
				fp_sim_itch_flush(r->itch, ts0 + sim);
			work += oe_work;
		}
#endif
		/* Triggers only once a client is logged in: none before could be answered. */
		if (r->trigger && r->oe_up && client_in(r))
			work += fp_sim_trigger_poll(r->trigger, mono_ns(), ts0 + sim);
		if (o->progress && mono >= next_progress) {
			print_progress(r, sim, mono, &last_msgs);
			next_progress += 1000000000ull;
		}
		if (dur_ns && wall >= dur_ns && next > dur_ns)
			break;
		/* Wake for the next event or when the open packet is due, whichever first. */
		uint64_t due = fp_sim_itch_due_ts(r->itch);
		uint64_t due_sim = due == UINT64_MAX ? UINT64_MAX : due > ts0 ? due - ts0 : 0;
		if (due_sim < next)
			next = due_sim;
		if (r->trigger) { /* spin while an answer is due; wake for the next trigger */
			uint64_t tdue = fp_sim_trigger_due(r->trigger);
			uint64_t tdue_wall = tdue > r->t0_mono ? tdue - r->t0_mono + ff_ns : 0;
			if (fp_sim_trigger_waiting(r->trigger, mono_ns()))
				work++;
			else if (tdue_wall < next)
				next = tdue_wall;
		}
		if (!work && next > wall) {
			/* Idle until then, at most 1 ms so that order entry, rerequests and
			 * heartbeats stay responsive. */
			uint64_t gap = next - wall;
			if (gap > 20000)
				sleep_ns(gap > 1000000 ? 1000000 : gap - 10000);
		}
	}
	r->wall_s = (double)(mono_ns() - r->t0_mono) / 1e9;
	r->sim_s = (double)sim / 1e9;
	uint64_t te = ts0 + sim;
	if (o->book_out && !stopped && (rc = write_book(r)) < 0)
		return rc;

	/* End of day: market hours, system hours, messages; then MoldUDP64 end of session. */
	fp_sim_itch_system_event(r->itch, 'M', te);
	fp_sim_itch_system_event(r->itch, 'E', te);
	fp_sim_itch_system_event(r->itch, 'C', te);
	fp_sim_itch_end_session(r->itch, te);
#if FP_SIM_HAVE_OE
	if (r->fix_up) /* one last turn: what the end of day made goes out */
		fp_sim_fix_poll(&r->fix);
	if (r->oe_up)
		fp_sim_oe_end_session(&r->oe);
#endif
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("fastpath-sim %s\n", FP_VERSION_TEXT);
		return 0;
	}
	static struct sim_run r;
	opts_default(&r.o);
	int rc = parse_args(argc, argv, &r.o);
	if (rc < 0) {
		fprintf(stderr, "fastpath-sim: %s\n", fp_err_msg());
		fp_cfg_free(r.o.cfg);
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = run(&r);
	if (rc < 0)
		fprintf(stderr, "fastpath-sim: %s\n", fp_err_msg());
	else
		print_summary(&r);
#if FP_SIM_HAVE_OE
	if (r.fix_up)
		fp_sim_fix_fini(&r.fix); /* Logout to every FIX client */
	if (r.oe_up)
		fp_sim_oe_fini(&r.oe);
#endif
	fp_sim_glimpse_destroy(r.glimpse);
	fp_sim_trigger_destroy(r.trigger);
	fp_sim_market_destroy(r.mkt);
	fp_sim_engine_destroy(r.eng);
	fp_sim_itch_destroy(r.itch);
	fp_cfg_free(r.o.cfg);
	return rc < 0 ? 1 : 0;
}
