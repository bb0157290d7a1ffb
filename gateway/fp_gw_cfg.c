/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_cfg.c - the gateway's settings from a libconfig group (cold path, any thread that
 * owns the struct fp_cfg). Example (a config file):
 *
 *     gateway = {
 *       host = "127.0.0.1"; port = 15000;
 *       username = "fpuser";            # or FP_GW_USER; password: FP_GW_PASSWORD only
 *       protocol = "fix44";             # or "ouch50" (the default)
 *       sender_comp_id = "FPST"; target_comp_id = "EXEC"; reset_seq_num = false;
 *       tls = "on";                     # fix44's default; "off" = plain TCP (warned)
 *       tls_ca_file = "ca.crt"; tls_server_name = "venue.example";
 *       tls_cert_file = "client.crt"; tls_key_file = "client.key";  # mutual TLS
 *                                       # key passphrase: FP_GW_TLS_KEY_PASSPHRASE only
 *       firm = "FPST"; capacity = "P";
 *       max_orders = 4096; heartbeat_ms = 1000; timeout_ms = 15000;
 *       backoff_min_ms = 100; backoff_max_ms = 5000;
 *     };
 */
#include <errno.h>
#include <string.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_gw.h"

int fp_gw_cfg_load_venue(struct fp_gw_cfg *out, const struct fp_cfg *c, const struct fp_cfg_node *g)
{
	static const char *const protocols[] = {"ouch50", "fix44", NULL};
	static const char *const tls_modes[] = {"default", "on", "off", NULL};
	const char *sender, *target;
	int rc, proto, tls;
	bool reset;
	const struct fp_cfg_node *pw = g ? fp_cfg_lookup(c, g, "password") : NULL;
	if (pw)
		return fp_cfg_error(c, pw, -EINVAL,
				    "gateway.password is not read from a configuration file: "
				    "remove it and put the password in the environment "
				    "(FP_GW_PASSWORD)");
	if ((rc = fp_cfg_get_enum(c, g, "protocol", protocols, FP_GW_PROTO_OUCH50, &proto)) < 0 ||
	    (rc = fp_cfg_get_enum(c, g, "tls", tls_modes, FP_GW_TLS_DEFAULT, &tls)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "sender_comp_id", "", FP_GW_COMP_ID_LEN, &sender)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "target_comp_id", "", FP_GW_COMP_ID_LEN, &target)) < 0 ||
	    (rc = fp_cfg_get_bool(c, g, "reset_seq_num", false, &reset)) < 0 ||
	    (rc = fp_cfg_get_path(c, g, "tls_ca_file", "", 4095, &out->tls_ca_file)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "tls_server_name", "", 255, &out->tls_server_name)) < 0 ||
	    (rc = fp_cfg_get_path(c, g, "tls_cert_file", "", 4095, &out->tls_cert_file)) < 0 ||
	    (rc = fp_cfg_get_path(c, g, "tls_key_file", "", 4095, &out->tls_key_file)) < 0)
		return rc;
	if (tls == FP_GW_TLS_DEFAULT && fp_cfg_lookup(c, g, "tls"))
		return fp_cfg_error(c, fp_cfg_lookup(c, g, "tls"), -EINVAL,
				    "gateway.tls must be \"on\" or \"off\"");
	if (proto == FP_GW_PROTO_FIX44 && (!sender[0] || !target[0]))
		return fp_cfg_error(c, g, -EINVAL,
				    "gateway: protocol \"fix44\" needs sender_comp_id and "
				    "target_comp_id");
	out->protocol = (uint8_t)proto;
	out->tls = (uint8_t)tls;
	out->fix_reset_on_logon = reset;
	strcpy(out->sender_comp_id, sender);
	strcpy(out->target_comp_id, target);
	return 0;
}

int fp_gw_cfg_load(struct fp_gw_cfg *out, const struct fp_cfg *c, const struct fp_cfg_node *g)
{
	static const char *const keys[] = {"host",
					   "port",
					   "username",
					   "session",
					   "firm",
					   "capacity",
					   "max_orders",
					   "first_user_ref_num",
					   "heartbeat_ms",
					   "timeout_ms",
					   "backoff_min_ms",
					   "backoff_max_ms",
					   "rx_interval_us",
					   FP_GW_CFG_VENUE_KEYS,
					   NULL};
	const char *user, *firm, *cap;
	int rc, port, max_orders, hb, to, bmin, bmax, rxi;
	int64_t first;
	if ((rc = fp_gw_cfg_load_venue(out, c, g)) < 0 ||
	    (rc = fp_cfg_check_keys(c, g, keys)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "host", "127.0.0.1", 15, &out->host)) < 0 ||
	    (rc = fp_cfg_get_int(c, g, "port", FP_GW_DEFAULT_PORT, 1, 65535, &port)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "username", "", FP_SOUP_USERNAME_LEN, &user)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "session", "", FP_SOUP_SESSION_LEN, &out->session)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "firm", "", 4, &firm)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "capacity", "P", 1, &cap)) < 0 ||
	    (rc = fp_cfg_get_int(c, g, "max_orders", 4096, 1, 1 << 24, &max_orders)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "first_user_ref_num", 1, 1, UINT32_MAX, &first)) < 0 ||
	    (rc = fp_cfg_get_int(c, g, "heartbeat_ms", FP_SOUP_HEARTBEAT_MS, 1, 3600000, &hb)) <
		    0 ||
	    (rc = fp_cfg_get_int(c, g, "timeout_ms", FP_SOUP_TIMEOUT_MS, 1, 3600000, &to)) < 0 ||
	    (rc = fp_cfg_get_int(c, g, "backoff_min_ms", 100, 1, 3600000, &bmin)) < 0 ||
	    (rc = fp_cfg_get_int(c, g, "backoff_max_ms", 5000, 1, 3600000, &bmax)) < 0 ||
	    (rc = fp_cfg_get_int(c, g, "rx_interval_us", 20, -1, 1000000, &rxi)) < 0)
		return fp_err_append(rc, "gateway settings");
	if (firm[0] && strlen(firm) != 4)
		return fp_err_set(-EINVAL, "%s:%u: gateway.firm must be 4 letters", fp_cfg_name(c),
				  g ? fp_cfg_line(g) : 0);
	if (bmin > bmax)
		return fp_err_set(-EINVAL, "%s:%u: gateway.backoff_min_ms above backoff_max_ms",
				  fp_cfg_name(c), g ? fp_cfg_line(g) : 0);
	out->port = (uint16_t)port;
	strcpy(out->username, user);
	strcpy(out->firm, firm);
	out->capacity = (uint8_t)cap[0];
	out->max_orders = (uint32_t)max_orders;
	out->first_user_ref_num = (uint32_t)first;
	out->heartbeat_ms = (uint32_t)hb;
	out->timeout_ms = (uint32_t)to;
	out->backoff_min_ms = (uint32_t)bmin;
	out->backoff_max_ms = (uint32_t)bmax;
	out->rx_interval_us = rxi;
	return fp_gw_credentials_from_env(out);
}
