/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fix_probe.c - a test client of fix_quickfix_tls.sh: one FIX 4.4 order over TLS to a
 * counterparty (QuickFIX's example executor), with fastpath's codec (proto/fp_fix.h) on
 * OpenSSL. Not the gateway (issue 14: the gateway's FIX adapter is still to come): it proves
 * the codec's messages against an engine nobody here wrote, and the TLS settings the
 * gateway will use (TLS 1.2+ only, the server verified against a CA file and a hostname).
 *
 *   fp-fix-probe PORT CA_FILE HOSTNAME SENDER TARGET MIN_TLS(1.2|1.3)
 *
 * Logon (ResetSeqNumFlag), NewOrderSingle, then waits for the ExecutionReport that fills
 * it, checks its ClOrdID, LastQty and LastPx (exact Price(4)), logs out. Prints one line per
 * step; exit 0 on the fill, 2 when TLS is refused (the line says why), 3 on a reject or a
 * wrong report, 4 on a timeout or a lost connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fp_fix.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Freed at exit (whatever the path), so that LeakSanitizer sees no leak. */
static SSL_CTX *g_ctx;
static SSL *g_ssl;

static void cleanup(void)
{
	SSL_free(g_ssl);
	SSL_CTX_free(g_ctx);
}

static int send_msg(SSL *ssl, struct fp_fix_writer *w)
{
	const uint8_t *m;
	int n = fp_fix_finish(w, &m);
	if (n < 0)
		return n;
	printf("out: %.*s\n", n, (const char *)m);
	return SSL_write(ssl, m, n) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr,
			"usage: fp-fix-probe PORT CA_FILE HOSTNAME SENDER TARGET 1.2|1.3\n");
		return 1;
	}
	const char *ca = argv[2], *host = argv[3], *sender = argv[4], *target = argv[5];
	int port = atoi(argv[1]);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("fp-fix-probe: connect");
		return 4;
	}
	SSL_CTX *ctx = g_ctx = SSL_CTX_new(TLS_client_method());
	atexit(cleanup);
	SSL_CTX_set_min_proto_version(ctx, strcmp(argv[6], "1.3") == 0 ? TLS1_3_VERSION
								       : TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		printf("tls: refused: cannot read CA file %s\n", ca);
		return 2;
	}
	SSL *ssl = g_ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set1_host(ssl, host); /* the certificate must name this host */
	if (SSL_connect(ssl) != 1) {
		long v = SSL_get_verify_result(ssl);
		unsigned long e = ERR_get_error();
		printf("tls: refused: %s\n", v != X509_V_OK ? X509_verify_cert_error_string(v)
							    : ERR_reason_error_string(e));
		return 2;
	}
	printf("tls: %s %s, server verified as %s\n", SSL_get_version(ssl),
	       SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), host);

	struct fp_fix_tmpl t_logon, t_nos, t_logout;
	fp_fix_tmpl_init(&t_logon, "A", sender, target);
	fp_fix_tmpl_init(&t_nos, "D", sender, target);
	fp_fix_tmpl_init(&t_logout, "5", sender, target);
	uint8_t out[1024], in[16384];
	struct fp_fix_writer w;
	uint64_t seq = 1;
	fp_fix_begin(&w, out, sizeof(out), &t_logon, seq++, now_ns());
	fp_fix_put_u64(&w, FP_FIX_TAG_ENCRYPT_METHOD, 0);
	fp_fix_put_u64(&w, FP_FIX_TAG_HEART_BT_INT, 30);
	fp_fix_put_char(&w, FP_FIX_TAG_RESET_SEQ_NUM_FLAG, 'Y');
	if (send_msg(ssl, &w) < 0)
		return 4;
	const char *cl_ord_id = "FP0000000001";
	const int64_t price = 1502525; /* 150.2525: four decimals, exactly */
	size_t have = 0;
	int logged_on = 0, filled = 0;
	for (;;) {
		int r = SSL_read(ssl, in + have, (int)(sizeof(in) - have));
		if (r <= 0) {
			printf("fix: connection lost%s\n", filled ? " after logout" : "");
			return filled ? 0 : 4;
		}
		have += (size_t)r;
		struct fp_fix_msg m;
		enum fp_fix_rc rc;
		while ((rc = fp_fix_parse(in, have, &m)) == FP_FIX_OK) {
			printf("in:  %.*s\n", (int)m.len, (const char *)m.buf);
			size_t l;
			const char *s;
			if (!strcmp(m.msg_type, "A") && !logged_on) {
				logged_on = 1;
				struct fp_fix_new_order o = {.cl_ord_id = cl_ord_id,
							     .symbol = "AAPL",
							     .price = price,
							     .transact_ns = now_ns(),
							     .qty = 100,
							     .side = '1',
							     .time_in_force = '0'};
				fp_fix_begin(&w, out, sizeof(out), &t_nos, seq++, now_ns());
				fp_fix_put_new_order(&w, &o);
				if (send_msg(ssl, &w) < 0)
					return 4;
			} else if (!strcmp(m.msg_type, "8")) {
				int64_t px = 0;
				uint64_t qty = 0;
				s = fp_fix_get_str(&m, FP_FIX_TAG_CL_ORD_ID, &l);
				if (!s || l != strlen(cl_ord_id) || memcmp(s, cl_ord_id, l) ||
				    fp_fix_get_price(&m, FP_FIX_TAG_LAST_PX, &px) != 0 ||
				    px != price ||
				    fp_fix_get_u64(&m, FP_FIX_TAG_LAST_QTY, &qty) != 0 ||
				    qty != 100) {
					printf("fix: unexpected execution report\n");
					return 3;
				}
				printf("fill: %s 100 @ %" PRId64 " (Price(4))\n", cl_ord_id, px);
				filled = 1;
				fp_fix_begin(&w, out, sizeof(out), &t_logout, seq++, now_ns());
				if (send_msg(ssl, &w) < 0)
					return 4;
			} else if (!strcmp(m.msg_type, "5")) {
				printf("fix: logged out\n");
				SSL_shutdown(ssl);
				return filled ? 0 : 3;
			} else if (!strcmp(m.msg_type, "3") || !strcmp(m.msg_type, "j")) {
				printf("fix: rejected by the counterparty\n");
				return 3;
			}
			memmove(in, in + m.len, have - m.len);
			have -= m.len;
		}
		if (rc < 0) {
			printf("fix: bad message from the counterparty: %s\n", fp_fix_rc_str(rc));
			return 3;
		}
	}
}
