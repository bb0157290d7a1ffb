/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_test_tls_certs.h - certificates a test makes for itself (tests only): an EC P-256 key
 * and an X.509 certificate written as PEM files, self-signed (a CA) or signed by a CA made
 * here, with a chosen validity window and subjectAltName. Nothing is committed: the files
 * live in the test's temporary folder and are removed with it.
 */
#ifndef FP_TEST_TLS_CERTS_H
#define FP_TEST_TLS_CERTS_H

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct test_cert {
	EVP_PKEY *key;
	X509 *crt;
};

/* Make a key and a certificate for @p cn, valid from now + @p from_s to now + @p to_s,
 * with subjectAltName @p san (NULL = none), signed by @p ca (NULL = self-signed CA); write
 * DIR/NAME.crt and DIR/NAME.key. @return 0, -1. */
static int test_cert_make(struct test_cert *out, const char *dir, const char *name, const char *cn,
			  const char *san, const struct test_cert *ca, long from_s, long to_s)
{
	static long serial = 1;
	char path[512];
	out->key = EVP_EC_gen("P-256");
	out->crt = X509_new();
	if (!out->key || !out->crt)
		return -1;
	X509_set_version(out->crt, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(out->crt), serial++);
	X509_gmtime_adj(X509_getm_notBefore(out->crt), from_s);
	X509_gmtime_adj(X509_getm_notAfter(out->crt), to_s);
	X509_set_pubkey(out->crt, out->key);
	X509_NAME *n = X509_get_subject_name(out->crt);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(out->crt, ca ? X509_get_subject_name(ca->crt) : n);
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, ca ? ca->crt : out->crt, out->crt, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
						  ca ? "critical,CA:FALSE" : "critical,CA:TRUE");
	X509_add_ext(out->crt, ext, -1);
	X509_EXTENSION_free(ext);
	if (san) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(out->crt, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(out->crt, ca ? ca->key : out->key, EVP_sha256()) <= 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || PEM_write_X509(f, out->crt) != 1)
		return -1;
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	f = fopen(path, "w");
	if (!f || PEM_write_PrivateKey(f, out->key, NULL, NULL, 0, NULL, NULL) != 1)
		return -1;
	fclose(f);
	return 0;
}

static void test_cert_free(struct test_cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->crt);
}

#endif /* FP_TEST_TLS_CERTS_H */
