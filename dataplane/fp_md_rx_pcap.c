/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_pcap.c - the replay receive backend: a classic (µs or ns) or pcapng file (mapped
 * read-only) or an in-memory capture, as fast as possible or paced by the capture
 * timestamps divided by a speed factor.
 *
 * Records are read with proto/fp_pcap.h and frames parsed with proto/fp_net.h (Ethernet,
 * VLAN, IPv4, UDP; payload bounded by the IP total length). The burst path makes no
 * syscall: pacing reads CLOCK_MONOTONIC through the vDSO and never sleeps (a record that
 * is not due yet ends the burst and is returned by a later one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_md_rx_pvt.h"
#include "fp_net.h"
#include "fp_pcap.h"
#include "fp_tsc.h"

struct pcap_be {
	struct fp_pcap pcap;
	void *map; /**< file mapping (NULL for an in-memory capture) */
	size_t map_len;
	unsigned loops_left;
	bool paced;
	bool started;
	uint64_t cap0_ns;  /**< capture time of the first record */
	uint64_t wall0_ns; /**< CLOCK_MONOTONIC when it was returned */
};

static void pcap_close(struct fp_md_rx *rx)
{
	struct pcap_be *be = rx->be;
	if (!be)
		return;
	if (be->map)
		munmap(be->map, be->map_len);
	free(be);
	rx->be = NULL;
}

static int pcap_open(struct fp_md_rx *rx)
{
	const struct fp_md_rx_cfg *cfg = &rx->cfg;
	struct pcap_be *be = calloc(1, sizeof(*be));
	if (!be)
		return fp_err_set(-ENOMEM, "no memory for the pcap backend");
	rx->be = be;
	const void *buf = cfg->pcap_buf;
	size_t len = cfg->pcap_len;
	int rc;
	if (!buf) {
		if (!cfg->pcap_path) {
			rc = fp_err_set(-EINVAL, "the pcap backend needs a file (pcap_path)");
			goto err;
		}
		int fd = open(cfg->pcap_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = fp_err_set(-errno, "cannot open capture %s: %s", cfg->pcap_path,
					strerror(errno));
			goto err;
		}
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_size == 0) {
			close(fd);
			rc = fp_err_set(-EINVAL, "capture %s is empty or unreadable",
					cfg->pcap_path);
			goto err;
		}
		be->map_len = (size_t)st.st_size;
		be->map = mmap(NULL, be->map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		close(fd);
		if (be->map == MAP_FAILED) {
			be->map = NULL;
			rc = fp_err_set(-errno, "cannot map capture %s: %s", cfg->pcap_path,
					strerror(errno));
			goto err;
		}
		buf = be->map;
		len = be->map_len;
	}
	if ((rc = fp_pcap_open(&be->pcap, buf, len)) < 0) {
		fp_err_append(rc, "capture %s", cfg->pcap_path ? cfg->pcap_path : "(memory)");
		goto err;
	}
	be->loops_left = cfg->nb_loops ? cfg->nb_loops - 1 : 0;
	be->paced = cfg->speed > 0;
	return 0;
err:
	pcap_close(rx);
	return rc;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned pcap_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n)
{
	struct pcap_be *be = rx->be;
	unsigned got = 0;
	uint64_t now = fp_tsc_now();
	uint64_t wall = be->paced ? mono_ns() : 0;
	while (got < n) {
		struct fp_pcap_rec rec;
		size_t pos = be->pcap.pos;
		uint64_t nb_rec = be->pcap.nb_rec;
		enum fp_pcap_result r = fp_pcap_next(&be->pcap, &rec);
		if (fp_unlikely(r != FP_PCAP_OK)) {
			if (r != FP_PCAP_END)
				rx->stats.errors++;
			if (r == FP_PCAP_END && be->loops_left) {
				be->loops_left--;
				fp_pcap_rewind(&be->pcap);
				be->started = false;
				continue;
			}
			rx->eof = true;
			break;
		}
		if (be->paced) {
			if (!be->started) {
				be->started = true;
				be->cap0_ns = rec.ts_ns;
				be->wall0_ns = wall;
			} else {
				uint64_t due = (uint64_t)((double)(rec.ts_ns - be->cap0_ns) /
							  rx->cfg.speed);
				if (wall - be->wall0_ns < due) { /* not yet: give it back */
					be->pcap.pos = pos;
					be->pcap.nb_rec = nb_rec;
					break;
				}
			}
		}
		struct fp_net_pkt np;
		enum fp_net_result nr = fp_net_parse_link(rec.linktype, rec.data, rec.caplen, &np);
		got += fp_md_rx_take(rx, nr, &np, now, rec.ts_ns, &pkts[got]);
	}
	return got;
}

const struct fp_md_rx_ops fp_md_rx_pcap_ops = {
	.name = "pcap",
	.open = pcap_open,
	.burst = pcap_burst,
	.close = pcap_close,
};
