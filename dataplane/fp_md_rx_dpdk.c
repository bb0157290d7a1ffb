/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_dpdk.c - the DPDK receive backend: one ethdev rx queue polled with
 * rte_eth_rx_burst, frames parsed with proto/fp_net.h (Ethernet, VLAN, IPv4, UDP, payload
 * bounded by the IP total length), filtered by group:port.
 *
 * Open (cold): initialises the EAL once per process (DPDK cannot re-initialise it; a second
 * handle reuses it), optionally hot-plugs a virtual device from `dpdk_dev` devargs (e.g.
 * "net_pcap0,rx_pcap=FILE" or a net_ring), creates an mbuf pool, configures and starts the
 * port. EAL arguments: `eal_args` when set; otherwise "--in-memory" when free hugepages
 * exist, else "--no-huge --no-pci --no-shconf -m 256" (design.md §10: --no-huge does not
 * combine with --in-memory). The calling thread keeps its CPU affinity (EAL would move it
 * to its main lcore). Debian ships the PMDs as plugins in
 * /usr/lib/x86_64-linux-gnu/dpdk/pmds-*; when EAL's autoload does not find a driver we
 * say to add "-d <that dir>".
 *
 * Burst (hot): one rte_eth_rx_burst, no syscall. The mbufs of a burst are kept until the
 * next burst (payload pointers point into them) and freed in bulk then.
 */
#define _GNU_SOURCE /* pthread_getaffinity_np */
#include <ctype.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_dev.h>

#include "fp_err.h"
#include "fp_md_rx_pvt.h"
#include "fp_net.h"
#include "fp_tsc.h"

#define EAL_ARGS_MAX 32

struct dpdk_be {
	uint16_t port;
	uint16_t queue;
	bool started;
	bool vdev; /**< hot-plugged by us: removed at close */
	char vdev_name[64];
	struct rte_mempool *pool;
	unsigned nb_held;
	struct rte_mbuf *held[FP_MD_RX_BURST_MAX];
};

static bool hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return false;
	char line[128];
	long free_pages = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	return free_pages >= 128; /* 256 MiB of 2 MiB pages */
}

/* The pmds directory Debian installs, for the -d hint in messages. */
static void pmd_dir(char *buf, size_t len)
{
	glob_t g;
	snprintf(buf, len, "/usr/lib/x86_64-linux-gnu/dpdk/pmds-<ABI>");
	if (glob("/usr/lib/x86_64-linux-gnu/dpdk/pmds-*", GLOB_ONLYDIR, NULL, &g) == 0) {
		if (g.gl_pathc > 0)
			snprintf(buf, len, "%s", g.gl_pathv[0]);
		globfree(&g);
	}
}

static int eal_init_once(const struct fp_md_rx_cfg *cfg)
{
	if (rte_lcore_count() > 0)
		return 0; /* another handle of this process initialised the EAL */
	char args[512];
	char *argv[EAL_ARGS_MAX + 1];
	int argc = 0;
	argv[argc++] = (char *)"fastpath-md";
	if (cfg->eal_args)
		snprintf(args, sizeof(args), "%s", cfg->eal_args);
	else if (hugepages_free())
		snprintf(args, sizeof(args), "--in-memory --no-pci --log-level=error");
	else
		snprintf(args, sizeof(args),
			 "--no-huge --no-pci --no-shconf -m 256 --log-level=error");
	for (char *tok = strtok(args, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (argc == EAL_ARGS_MAX)
			return fp_err_set(-EINVAL, "more than %d EAL arguments", EAL_ARGS_MAX - 1);
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	/* EAL pins the calling thread to its main lcore (core 0 without -l): the thread keeps
	 * the CPUs it had, which its owner chose (the placement's core). */
	cpu_set_t cpus;
	bool have_cpus = pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;
	int rc = rte_eal_init(argc, argv);
	if (have_cpus)
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	if (rc >= 0)
		return 0;
	if (rte_errno == EALREADY)
		return 0; /* another handle of this process initialised it */
	char dir[256];
	pmd_dir(dir, sizeof(dir));
	return fp_err_set(-rte_errno ? -rte_errno : -EIO,
			  "DPDK EAL init failed: %s (EAL arguments '%s'; without hugepages use "
			  "'--no-huge --no-pci --no-shconf -m 256', never with --in-memory; "
			  "with hugepages: echo 256 > /proc/sys/vm/nr_hugepages; driver plugins: "
			  "-d %s)",
			  rte_strerror(rte_errno), cfg->eal_args ? cfg->eal_args : "(automatic)",
			  dir);
}

static void dpdk_close(struct fp_md_rx *rx)
{
	struct dpdk_be *be = rx->be;
	if (!be)
		return;
	if (be->nb_held)
		rte_pktmbuf_free_bulk(be->held, be->nb_held);
	if (be->started)
		rte_eth_dev_stop(be->port);
	if (be->vdev) {
		struct rte_eth_dev_info info;
		struct rte_device *dev = NULL;
		if (rte_eth_dev_info_get(be->port, &info) == 0)
			dev = info.device;
		rte_eth_dev_close(be->port);
		if (dev)
			rte_dev_remove(dev);
	}
	rte_mempool_free(be->pool);
	free(be);
	rx->be = NULL;
}

static int dpdk_attach_vdev(struct dpdk_be *be, const char *devargs)
{
	const char *comma = strchr(devargs, ',');
	size_t n = comma ? (size_t)(comma - devargs) : strlen(devargs);
	if (n == 0 || n >= sizeof(be->vdev_name))
		return fp_err_set(-EINVAL, "DPDK device '%s' has no valid name", devargs);
	memcpy(be->vdev_name, devargs, n);
	be->vdev_name[n] = 0;
	int rc = rte_dev_probe(devargs);
	if (rc < 0) {
		char dir[256];
		pmd_dir(dir, sizeof(dir));
		char drv[64];
		size_t k = 0;
		while (k < n && k + 1 < sizeof(drv) && !isdigit((unsigned char)devargs[k])) {
			drv[k] = devargs[k];
			k++;
		}
		drv[k] = 0;
		return fp_err_set(rc == -EEXIST ? -EEXIST : -ENODEV,
				  "cannot create DPDK device '%s' (%s): is the %s driver loaded? "
				  "Debian ships PMDs as plugins: add '-d %s' to the EAL arguments, "
				  "and check the device arguments",
				  devargs, strerror(-rc), drv, dir);
	}
	be->vdev = true;
	if (rte_eth_dev_get_port_by_name(be->vdev_name, &be->port) != 0)
		return fp_err_set(-ENODEV, "DPDK device '%s' is not an ethdev port", devargs);
	return 0;
}

static int dpdk_open(struct fp_md_rx *rx)
{
	const struct fp_md_rx_cfg *cfg = &rx->cfg;
	int rc = eal_init_once(cfg);
	if (rc < 0)
		return rc;
	struct dpdk_be *be = calloc(1, sizeof(*be));
	if (!be)
		return fp_err_set(-ENOMEM, "no memory for the dpdk backend");
	rx->be = be;
	be->queue = cfg->dpdk_queue;
	if (cfg->dpdk_dev) {
		if ((rc = dpdk_attach_vdev(be, cfg->dpdk_dev)) < 0)
			goto err;
	} else {
		be->port = cfg->dpdk_port;
		if (!rte_eth_dev_is_valid_port(be->port)) {
			char dir[256];
			pmd_dir(dir, sizeof(dir));
			rc = fp_err_set(-ENODEV,
					"DPDK port %u does not exist (%u ports): bind the NIC to a "
					"DPDK driver (dpdk-devbind.py), allow it with -a PCI, or "
					"load its PMD with '-d %s'",
					be->port, rte_eth_dev_count_avail(), dir);
			goto err;
		}
	}
	char name[RTE_MEMPOOL_NAMESIZE];
	snprintf(name, sizeof(name), "fpmd_p%u_q%u", be->port, be->queue);
	unsigned nb_mbufs = cfg->nb_mbufs ? cfg->nb_mbufs : 8191;
	be->pool = rte_pktmbuf_pool_create(name, nb_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (!be->pool) {
		rc = fp_err_set(-ENOMEM,
				"cannot create mbuf pool '%s' of %u mbufs: %s (raise EAL -m, or "
				"reserve hugepages)",
				name, nb_mbufs, rte_strerror(rte_errno));
		goto err;
	}
	struct rte_eth_dev_info info;
	if ((rc = rte_eth_dev_info_get(be->port, &info)) != 0) {
		fp_err_set(rc, "DPDK port %u: no device info", be->port);
		goto err;
	}
	if (be->queue >= info.max_rx_queues) {
		rc = fp_err_set(-EINVAL, "DPDK port %u has %u rx queues; queue %u asked", be->port,
				info.max_rx_queues, be->queue);
		goto err;
	}
	struct rte_eth_conf conf = {0};
	uint16_t nb_tx = info.max_tx_queues ? 1 : 0;
	if ((rc = rte_eth_dev_configure(be->port, (uint16_t)(be->queue + 1), nb_tx, &conf)) != 0) {
		fp_err_set(rc, "DPDK port %u: configure failed: %s", be->port, strerror(-rc));
		goto err;
	}
	for (uint16_t q = 0; q <= be->queue; q++)
		if ((rc = rte_eth_rx_queue_setup(be->port, q, 1024, rte_eth_dev_socket_id(be->port),
						 NULL, be->pool)) != 0) {
			fp_err_set(rc, "DPDK port %u: rx queue %u setup failed: %s", be->port, q,
				   strerror(-rc));
			goto err;
		}
	if (nb_tx && (rc = rte_eth_tx_queue_setup(be->port, 0, 512, rte_eth_dev_socket_id(be->port),
						  NULL)) != 0) {
		fp_err_set(rc, "DPDK port %u: tx queue setup failed: %s", be->port, strerror(-rc));
		goto err;
	}
	if ((rc = rte_eth_dev_start(be->port)) != 0) {
		fp_err_set(rc, "DPDK port %u: start failed: %s", be->port, strerror(-rc));
		goto err;
	}
	be->started = true;
	rte_eth_promiscuous_enable(be->port); /* not every PMD supports it: best effort */
	return 0;
err:
	dpdk_close(rx);
	return rc;
}

static unsigned dpdk_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n)
{
	struct dpdk_be *be = rx->be;
	if (be->nb_held) {
		rte_pktmbuf_free_bulk(be->held, be->nb_held);
		be->nb_held = 0;
	}
	uint16_t nb = rte_eth_rx_burst(be->port, be->queue, be->held, (uint16_t)n);
	if (nb == 0)
		return 0;
	be->nb_held = nb;
	uint64_t now = fp_tsc_now();
	unsigned got = 0;
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = be->held[i];
		if (fp_unlikely(m->nb_segs != 1)) {
			rx->stats.errors++; /* jumbo chains are not market data */
			continue;
		}
		struct fp_net_pkt np;
		enum fp_net_result r = fp_net_parse_eth(rte_pktmbuf_mtod(m, const uint8_t *),
							rte_pktmbuf_data_len(m), &np);
		got += fp_md_rx_take(rx, r, &np, now, 0, &pkts[got]);
	}
	return got;
}

const struct fp_md_rx_ops fp_md_rx_dpdk_ops = {
	.name = "dpdk",
	.open = dpdk_open,
	.burst = dpdk_burst,
	.close = dpdk_close,
};
