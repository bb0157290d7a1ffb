/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_tls.c - TLS under the gateway's session transport (fp_gw_sess.c), with OpenSSL:
 * TLS 1.2 and 1.3 only, no renegotiation, no compression; the venue's certificate must
 * chain to cfg.tls_ca_file and name cfg.tls_server_name (or the host address), which is
 * also sent as SNI when it is a name; an optional client certificate and key (mutual TLS)
 * whose passphrase comes from the environment (FP_GW_TLS_PASS_ENV) only, never from the
 * configuration or argv, and is never logged or kept. Kernel TLS (SSL_OP_ENABLE_KTLS) is
 * asked for; fp_gw_transport() says whether the kernel took it for each direction.
 *
 * Non-blocking throughout: the handshake is driven from fp_gw_poll while the session is
 * CONNECTING (bounded by timeout_ms like the TCP connect); SSL_write of an order is its
 * send (partial writes enabled, the write buffer may move: the transport's backlog retries
 * from its first byte). A refused handshake (untrusted or expired certificate, wrong name,
 * a server below TLS 1.2) drops the session with a one-line reason in fp_gw_last_error and
 * trips the venue breaker.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fp_err.h"
#include "fp_gw_pvt.h"

struct fp_gw_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	uint8_t handshaking;
	uint8_t refused; /* the last handshake failed: the breaker was tripped once */
	char name[256];  /* what the certificate must name */
	char transport[40];
};

/* The key's passphrase, read from the environment when OpenSSL asks, never stored. */
static int passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	(void)u;
	const char *p = getenv(FP_GW_TLS_PASS_ENV);
	if (p == NULL)
		return 0;
	size_t n = strlen(p);
	if (n >= (size_t)size)
		return 0;
	memcpy(buf, p, n);
	return (int)n;
}

static void openssl_reason(char *out, size_t cap)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(out, cap, "%s", r ? r : "unknown error");
	ERR_clear_error();
}

int fp_gw_tls_init(struct fp_gw *gw)
{
	const struct fp_gw_cfg *c = &gw->cfg;
	char why[160];
	if (c->tls_ca_file == NULL || c->tls_ca_file[0] == '\0')
		return fp_err_set(-EINVAL,
				  "gateway: tls is on but no tls_ca_file (the CA bundle "
				  "the venue's certificate must chain to); say tls = \"off\" "
				  "for plain TCP");
	if ((c->tls_cert_file && c->tls_cert_file[0]) != (c->tls_key_file && c->tls_key_file[0]))
		return fp_err_set(-EINVAL, "gateway: tls_cert_file and tls_key_file go together");
	/* OpenSSL's socket BIO (which kernel TLS needs) writes with write(), not
	 * send(MSG_NOSIGNAL): a venue that closes must not kill the process with SIGPIPE.
	 * Ignored process-wide, once, cold; every writer here checks EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	struct fp_gw_tls *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return fp_err_set(-ENOMEM, "gateway: TLS state");
	gw->tls = t;
	if (c->tls_server_name && c->tls_server_name[0])
		snprintf(t->name, sizeof(t->name), "%s", c->tls_server_name);
	else /* the venue's address: its certificate must name that IP */
		inet_ntop(AF_INET, &gw->venue_addr, t->name, sizeof(t->name));
	snprintf(t->transport, sizeof(t->transport), "tls");
	gw->st->transport = FP_GW_TRANSPORT_TLS;
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL)
		return fp_err_set(-ENOMEM, "gateway: SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx,
			    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_mode(t->ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(t->ctx, c->tls_ca_file, NULL) != 1) {
		openssl_reason(why, sizeof(why));
		return fp_err_set(-EINVAL, "gateway: tls_ca_file %s: %s", c->tls_ca_file, why);
	}
	if (c->tls_cert_file && c->tls_cert_file[0]) {
		SSL_CTX_set_default_passwd_cb(t->ctx, passphrase_cb);
		if (SSL_CTX_use_certificate_chain_file(t->ctx, c->tls_cert_file) != 1) {
			openssl_reason(why, sizeof(why));
			return fp_err_set(-EINVAL, "gateway: tls_cert_file %s: %s",
					  c->tls_cert_file, why);
		}
		if (SSL_CTX_use_PrivateKey_file(t->ctx, c->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(t->ctx) != 1) {
			openssl_reason(why, sizeof(why));
			return fp_err_set(-EINVAL,
					  "gateway: tls_key_file %s: %s (a passphrase comes from "
					  "%s only)",
					  c->tls_key_file, why, FP_GW_TLS_PASS_ENV);
		}
	}
	return 0;
}

void fp_gw_tls_fini(struct fp_gw *gw)
{
	struct fp_gw_tls *t = gw->tls;
	if (t == NULL)
		return;
	if (t->ssl)
		SSL_free(t->ssl);
	if (t->ctx)
		SSL_CTX_free(t->ctx);
	free(t);
	gw->tls = NULL;
}

void fp_gw_tls_close(struct fp_gw *gw)
{
	struct fp_gw_tls *t = gw->tls;
	if (t == NULL || t->ssl == NULL)
		return;
	if (!t->handshaking)
		SSL_shutdown(t->ssl); /* close_notify, best effort, non-blocking socket */
	SSL_free(t->ssl);
	t->ssl = NULL;
	t->handshaking = 0;
	ERR_clear_error();
}

int fp_gw_tls_start(struct fp_gw *gw)
{
	struct fp_gw_tls *t = gw->tls;
	struct in6_addr a6;
	struct in_addr a4;
	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, gw->fd) != 1) {
		fp_gw_set_error(gw, "tls: SSL_new failed");
		return -1;
	}
	bool is_ip =
		inet_pton(AF_INET, t->name, &a4) == 1 || inet_pton(AF_INET6, t->name, &a6) == 1;
	X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, t->name) != 1
		  : (SSL_set_tlsext_host_name(t->ssl, t->name) != 1 ||
		     SSL_set1_host(t->ssl, t->name) != 1)) {
		fp_gw_set_error(gw, "tls: cannot verify against '%s'", t->name);
		return -1;
	}
	t->handshaking = 1;
	return 0;
}

/* The handshake is done: the version and whether the kernel took the record layer (each
 * direction), in words for the log and in gw.stats for fastpath-ctl status and metrics. */
static void describe(struct fp_gw *gw, struct fp_gw_tls *t)
{
	int tx = BIO_get_ktls_send(SSL_get_wbio(t->ssl)) > 0;
	int rx = BIO_get_ktls_recv(SSL_get_rbio(t->ssl)) > 0;
	const char *v = SSL_get_version(t->ssl);
	gw->st->transport =
		strcmp(v, "TLSv1.3") == 0 ? FP_GW_TRANSPORT_TLS13 : FP_GW_TRANSPORT_TLS12;
	gw->st->ktls_tx = (uint8_t)tx;
	gw->st->ktls_rx = (uint8_t)rx;
	snprintf(t->transport, sizeof(t->transport), "%s%s",
		 strcmp(v, "TLSv1.3") == 0   ? "tls1.3"
		 : strcmp(v, "TLSv1.2") == 0 ? "tls1.2"
					     : v,
		 tx && rx ? "+ktls"
		 : tx     ? "+ktls-tx"
		 : rx     ? "+ktls-rx"
			  : "");
}

int fp_gw_tls_handshaking(const struct fp_gw *gw)
{
	return gw->tls && gw->tls->ssl && gw->tls->handshaking;
}

int fp_gw_tls_handshake(struct fp_gw *gw)
{
	struct fp_gw_tls *t = gw->tls;
	ERR_clear_error();
	int r = SSL_connect(t->ssl);
	if (r == 1) {
		t->handshaking = 0;
		t->refused = 0;
		describe(gw, t);
		return 1;
	}
	int e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	char why[120];
	long v = SSL_get_verify_result(t->ssl);
	if (v != X509_V_OK)
		snprintf(why, sizeof(why), "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	else if (e == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)
		snprintf(why, sizeof(why), "connection closed during the handshake");
	else
		openssl_reason(why, sizeof(why));
	ERR_clear_error();
	fp_gw_set_error(gw, "tls: venue %s refused: %s", t->name, why);
	if (!t->refused) { /* trip the breaker once per failing streak */
		t->refused = 1;
		gw->st->breaker = 1;
		fp_gw_venue_notice(gw, FP_EV_CTL_VENUE_DOWN);
	}
	return -1;
}

/* The session broke under TLS: say how (cold: the session is being dropped). */
static void broken(struct fp_gw *gw, const char *op, int e)
{
	char why[120];
	if (e == SSL_ERROR_ZERO_RETURN)
		snprintf(why, sizeof(why), "the venue closed the TLS session");
	else if (e == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)
		snprintf(why, sizeof(why), "connection lost (%s)", errno ? strerror(errno) : "EOF");
	else
		openssl_reason(why, sizeof(why));
	ERR_clear_error();
	fp_gw_set_error(gw, "tls: %s failed: %s", op, why);
}

long fp_gw_tls_send(struct fp_gw *gw, const uint8_t *b, size_t n)
{
	int k = SSL_write(gw->tls->ssl, b, (int)n);
	if (k > 0)
		return k;
	int e = SSL_get_error(gw->tls->ssl, k);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
		return 0;
	broken(gw, "write", e);
	return -1;
}

long fp_gw_tls_recv(struct fp_gw *gw, uint8_t *b, size_t n)
{
	int k = SSL_read(gw->tls->ssl, b, (int)n);
	if (k > 0)
		return k;
	int e = SSL_get_error(gw->tls->ssl, k);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	broken(gw, "read", e);
	return -1;
}

const char *fp_gw_transport(const struct fp_gw *gw)
{
	return gw->tls ? gw->tls->transport : "tcp";
}
