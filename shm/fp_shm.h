/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_shm.h - the instance's shared-memory segment: create, attach, detach, destroy by
 * instance name, and look up its named regions (design.md §3).
 *
 * Cold paths only: every function here may make syscalls, read /proc and allocate nothing
 * but stack; none may be called from a hot loop. The supervisor creates the segment once
 * (fp_shm_create), fills the regions (rings, tables), then marks it ready
 * (fp_shm_set_state); workers and tools attach (fp_shm_attach), look up their regions once
 * (fp_shm_region) and keep the pointers in their process-local context. The hot path then
 * only touches memory that was pre-faulted and locked here.
 *
 * Backing: a file named `fastpath-<instance>` on a hugetlbfs mount (2 MiB pages, or 1 GiB
 * pages when configured) when enough free hugepages exist, otherwise in /dev/shm, with a
 * warning (struct fp_shm.warning, for main() to print) that says how to reserve hugepages.
 * Mode 0660, group as configured: users outside the group cannot attach.
 *
 * Layout (every field fixed-width, every location an offset from the segment base):
 *
 *   OFFSET  SIZE    DESCRIPTION
 *   0       4096    struct fp_shm_hdr: identity, versions, sizes, TSC Hz, creator, state,
 *                   then the region directory (FP_SHM_MAX_REGIONS entries of 64 bytes)
 *   4096    ...     the regions, in the order given at creation, each starting on a 4 KiB
 *                   boundary (so on its own cache lines and pages)
 *   ...     ...     padding up to a whole number of the backing's pages
 *
 *     struct fp_shm_region_spec regs[] = {
 *             {"ring.md", fp_ring_memsize(65536), FP_RING_VERSION},
 *             {"ctl", sizeof(struct fp_shm_ctl), FP_SHM_CTL_VERSION},
 *     };
 *     struct fp_shm_opts o = {.instance = "prod1", .regions = regs, .nb_regions = 2};
 *     struct fp_shm seg;
 *     if (fp_shm_create(&seg, &o) < 0) { fprintf(stderr, "%s\n", fp_err_msg()); exit(1); }
 *     if (seg.warning[0]) fprintf(stderr, "warning: %s\n", seg.warning);
 *     struct fp_ring *md = fp_shm_region(&seg, "ring.md", NULL);
 *     fp_ring_init(md, 65536, "md");
 *     fp_shm_set_state(&seg, FP_SHM_STATE_READY);
 */
#ifndef FP_SHM_H
#define FP_SHM_H

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "fp_compiler.h"
#include "fp_event.h"
#include "fp_ring_core.h"

/** "FASTPATH" read as a little-endian uint64. */
#define FP_SHM_MAGIC UINT64_C(0x4854415054534146)

/** Version of struct fp_shm_hdr and the directory; bump when a field moves. */
#define FP_SHM_HDR_VERSION 1

/**
 * Layout version of the whole segment: header, ring and event versions, one byte each
 * (printed "header.ring.event"). Attach refuses any other value: two builds that disagree
 * on any of the three must not share a segment.
 */
#define FP_SHM_LAYOUT_VERSION \
	((uint32_t)((FP_SHM_HDR_VERSION << 16) | (FP_RING_VERSION << 8) | FP_EVENT_VERSION))

/** Bytes of the header page (header plus directory). */
#define FP_SHM_HDR_BYTES    4096
/** Alignment of every region. */
#define FP_SHM_REGION_ALIGN 4096
/** Most regions in a segment. */
#define FP_SHM_MAX_REGIONS  60
/** Bytes of a region name, NUL included. */
#define FP_SHM_NAMESIZE     32
/** Bytes of an instance name, NUL included ([A-Za-z0-9_.-] only). */
#define FP_SHM_INSTANCE_MAX 48

/** Life of a segment, in struct fp_shm_hdr.state. */
enum fp_shm_state {
	FP_SHM_STATE_CREATING = 1, /**< regions being initialised: attach refuses (-EAGAIN) */
	FP_SHM_STATE_READY = 2,    /**< running */
	FP_SHM_STATE_STOPPING = 3, /**< the supervisor is tearing down: workers should exit */
};

/** How the segment is backed (struct fp_shm_hdr.backing). */
enum fp_shm_backing {
	FP_SHM_BACKING_SHM = 1,     /**< /dev/shm (tmpfs), 4 KiB pages */
	FP_SHM_BACKING_HUGE_2M = 2, /**< hugetlbfs, 2 MiB pages */
	FP_SHM_BACKING_HUGE_1G = 3, /**< hugetlbfs, 1 GiB pages */
};

/** One entry of the region directory (64 bytes). */
struct fp_shm_dirent {
	char name[FP_SHM_NAMESIZE]; /**< NUL-terminated; empty = unused entry */
	uint64_t offset;            /**< bytes from the segment base, FP_SHM_REGION_ALIGN aligned */
	uint64_t size;              /**< bytes requested at creation */
	uint32_t version;           /**< the region's own layout version (caller-defined) */
	uint32_t reserved[3];       /**< zero */
};

/**
 * The segment header, at offset 0. Written once by the creator before it is ready, except
 * `state` (atomic) afterwards.
 *
 *   OFFSET  SIZE  FIELD
 *   0       8     magic           FP_SHM_MAGIC
 *   8       4     layout_version  FP_SHM_LAYOUT_VERSION of the creator
 *   12      4     hdr_bytes       FP_SHM_HDR_BYTES
 *   16      8     total_bytes     size of the segment (a multiple of page_bytes)
 *   24      8     page_bytes      backing page size (4096, 2 MiB or 1 GiB)
 *   32      8     tsc_hz          TSC rate measured by the creator (fp_tsc), for every process
 *   40      8     created_ns      CLOCK_REALTIME at creation, ns since the epoch
 *   48      8     creator_start   start time of the creator (/proc/PID/stat field 22, ticks)
 *   56      4     creator_pid     pid of the creator
 *   60      4     state           enum fp_shm_state (atomic)
 *   64      4     backing         enum fp_shm_backing
 *   68      4     nb_regions      entries in use in dir[]
 *   72      48    instance        instance name, NUL-terminated
 *   120     8     reserved        zero
 *   128     3840  dir             FP_SHM_MAX_REGIONS directory entries
 *   3968    128   reserved2       zero
 */
struct fp_shm_hdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t hdr_bytes;
	uint64_t total_bytes;
	uint64_t page_bytes;
	uint64_t tsc_hz;
	uint64_t created_ns;
	uint64_t creator_start;
	int32_t creator_pid;
	_Atomic uint32_t state;
	uint32_t backing;
	uint32_t nb_regions;
	char instance[FP_SHM_INSTANCE_MAX];
	uint64_t reserved;
	struct fp_shm_dirent dir[FP_SHM_MAX_REGIONS];
	uint8_t reserved2[128];
};

static_assert(sizeof(struct fp_shm_dirent) == 64, "fp_shm_dirent size");
static_assert(offsetof(struct fp_shm_dirent, offset) == 32, "fp_shm_dirent.offset");
static_assert(offsetof(struct fp_shm_dirent, size) == 40, "fp_shm_dirent.size");
static_assert(offsetof(struct fp_shm_dirent, version) == 48, "fp_shm_dirent.version");
static_assert(sizeof(struct fp_shm_hdr) == FP_SHM_HDR_BYTES, "fp_shm_hdr fills one page");
static_assert(offsetof(struct fp_shm_hdr, layout_version) == 8, "fp_shm_hdr.layout_version");
static_assert(offsetof(struct fp_shm_hdr, hdr_bytes) == 12, "fp_shm_hdr.hdr_bytes");
static_assert(offsetof(struct fp_shm_hdr, total_bytes) == 16, "fp_shm_hdr.total_bytes");
static_assert(offsetof(struct fp_shm_hdr, page_bytes) == 24, "fp_shm_hdr.page_bytes");
static_assert(offsetof(struct fp_shm_hdr, tsc_hz) == 32, "fp_shm_hdr.tsc_hz");
static_assert(offsetof(struct fp_shm_hdr, created_ns) == 40, "fp_shm_hdr.created_ns");
static_assert(offsetof(struct fp_shm_hdr, creator_start) == 48, "fp_shm_hdr.creator_start");
static_assert(offsetof(struct fp_shm_hdr, creator_pid) == 56, "fp_shm_hdr.creator_pid");
static_assert(offsetof(struct fp_shm_hdr, state) == 60, "fp_shm_hdr.state");
static_assert(offsetof(struct fp_shm_hdr, backing) == 64, "fp_shm_hdr.backing");
static_assert(offsetof(struct fp_shm_hdr, nb_regions) == 68, "fp_shm_hdr.nb_regions");
static_assert(offsetof(struct fp_shm_hdr, instance) == 72, "fp_shm_hdr.instance");
static_assert(offsetof(struct fp_shm_hdr, dir) == 128, "fp_shm_hdr.dir");
static_assert(sizeof(_Atomic uint32_t) == 4, "atomic state is a plain 32-bit word");

/** A region to create: name, size in bytes, the region's own layout version. */
struct fp_shm_region_spec {
	const char *name; /**< shorter than FP_SHM_NAMESIZE, unique in the segment */
	uint64_t size;    /**< bytes, > 0 */
	uint32_t version; /**< stored in the directory for the region's users to check */
};

/** Hugepage policy (struct fp_shm_opts.hugepages). */
enum fp_shm_huge {
	FP_SHM_HUGE_AUTO = 0, /**< 2 MiB hugetlbfs when enough are free, else /dev/shm + warning */
	FP_SHM_HUGE_OFF = 1,  /**< /dev/shm, no warning */
	FP_SHM_HUGE_1G = 2,   /**< 1 GiB hugetlbfs when enough are free, else as AUTO */
};

/* struct fp_shm_opts.flags */
#define FP_SHM_F_NO_MLOCK 0x1u /**< do not mlock (tools, tests as an unprivileged user) */
#define FP_SHM_F_RDONLY   0x2u /**< attach read-only (monitoring tools) */

/** Options of fp_shm_create() and fp_shm_attach(); zero means the default. */
struct fp_shm_opts {
	const char *instance;                     /**< required: the file is fastpath-<instance> */
	const struct fp_shm_region_spec *regions; /**< create only */
	unsigned nb_regions;                      /**< create only, <= FP_SHM_MAX_REGIONS */
	uint64_t tsc_hz;                          /**< create: 0 = calibrate now with fp_tsc */
	const char *group;                        /**< create: group owning the file (NULL: ours) */
	enum fp_shm_huge hugepages;               /**< create only */
	const char *huge_dir;                     /**< hugetlbfs mount (NULL: from /proc/mounts) */
	const char *shm_dir;                      /**< fallback directory (NULL: /dev/shm) */
	unsigned flags;                           /**< FP_SHM_F_* */
};

/** A process-local handle of a mapped segment (not in shared memory: holds pointers). */
struct fp_shm {
	struct fp_shm_hdr *hdr; /**< the mapping; NULL when not attached */
	uint64_t size;          /**< bytes mapped */
	int fd;                 /**< -1 when not attached */
	int creator;            /**< 1 when this handle created the segment */
	char path[256];         /**< the backing file */
	char warning[512];      /**< non-empty after create: a fallback or takeover main() shows */
};

/**
 * Create the segment of @p opts->instance with the regions of @p opts, pre-faulted, locked
 * and zeroed, in state FP_SHM_STATE_CREATING. Pair with fp_shm_destroy().
 *
 * A file left by a dead creator (pid gone, or reused by another process) is taken over:
 * removed and created again, with a note in @p seg->warning.
 *
 * @return 0; -EINVAL bad options (name, sizes, duplicate region); -EEXIST the instance is
 *         live (its creator runs) or the file is not ours; -ENOMEM/-ENOSPC no memory for
 *         the backing; -EPERM/-EACCES directory, group or mlock refused; or the negative
 *         errno of a failed syscall. Every failure has fp_err text saying what to do.
 */
int fp_shm_create(struct fp_shm *seg, const struct fp_shm_opts *opts);

/**
 * The checks fp_shm_create() makes of its names, for a loader that validates a
 * configuration before creating anything (fastpath-ctl config validate): an instance name
 * of 1..FP_SHM_INSTANCE_MAX-1 letters, digits, '_', '-', '.'; a group that exists (its id
 * into @p gid when not NULL). @return 0, or -EINVAL / -ENOENT with the same fp_err text.
 */
int fp_shm_check_instance(const char *instance);
int fp_shm_check_group(const char *group, gid_t *gid);

/**
 * Attach to the running segment of @p opts->instance (the hugetlbfs mount first, then the
 * fallback directory), pre-fault and (unless FP_SHM_F_NO_MLOCK) lock it. Pair with
 * fp_shm_detach().
 *
 * @return 0; -ENOENT no such instance; -EACCES not in the segment's group;
 *         -EPROTO not a fastpath segment (wrong magic, foreign file, bad directory);
 *         -EPROTONOSUPPORT other layout version (the message names both); -EBADMSG the file
 *         is shorter than its header says (truncated); -EAGAIN still being created.
 */
int fp_shm_attach(struct fp_shm *seg, const struct fp_shm_opts *opts);

/** Unmap and close; the segment lives on. fp_shm_detach() of a detached handle is a no-op. */
void fp_shm_detach(struct fp_shm *seg);

/**
 * Mark the segment stopping, remove its file and detach (other processes keep their
 * mapping until they detach). Creator only. @return 0 or negative errno (file already gone).
 */
int fp_shm_destroy(struct fp_shm *seg);

/** Publish a new state (store-release: regions written before it are visible after it). */
void fp_shm_set_state(struct fp_shm *seg, enum fp_shm_state state);

/** Read the state (load-acquire, pairs with fp_shm_set_state()). Any process. */
enum fp_shm_state fp_shm_get_state(const struct fp_shm *seg);

/**
 * Local address of region @p name, or NULL when absent. Cold: look up once, keep the
 * pointer. @p size (may be NULL) receives the region's size in bytes.
 */
void *fp_shm_region(const struct fp_shm *seg, const char *name, uint64_t *size);

/** The directory entry of region @p name, or NULL (to check its version). */
const struct fp_shm_dirent *fp_shm_region_entry(const struct fp_shm *seg, const char *name);

/** Print the header and directory to @p out. Any process. */
void fp_shm_dump(FILE *out, const struct fp_shm *seg);

#endif /* FP_SHM_H */
