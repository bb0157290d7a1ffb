/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_shm.c - create, attach, detach and destroy the instance segment (fp_shm.h for the
 * layout and the contract).
 *
 * Cold path only (supervisor, workers at start, tools). Makes syscalls, reads /proc and
 * /sys, may mount hugetlbfs; never allocates on the heap and never prints: warnings go to
 * struct fp_shm.warning, errors to fp_err.
 *
 * Invariants:
 *  (1) A file named fastpath-<instance> in a hugetlbfs mount or the fallback directory is
 *      either ours (magic FP_SHM_MAGIC) or refused; create never deletes a foreign file.
 *  (2) The instance is live when its creator pid runs with the start time recorded in the
 *      header (so a reused pid is not mistaken for the creator); create refuses a live one
 *      and takes over (unlinks) a dead one.
 *  (3) Every page of the segment is faulted in (and locked unless FP_SHM_F_NO_MLOCK) before
 *      create or attach returns: no page fault afterwards.
 *  (4) Attach maps only after checking magic, layout version, size and directory against
 *      the file size, so a region pointer never points past the file (no SIGBUS).
 *
 * State diagram of hdr.state:
 *     (none) --fp_shm_create--> CREATING --fp_shm_set_state--> READY
 *     READY --fp_shm_set_state / fp_shm_destroy--> STOPPING --fp_shm_destroy--> (unlinked)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_shm.h"
#include "fp_tsc.h"

#define FP_SHM_DEFAULT_DIR   "/dev/shm"
#define FP_SHM_HUGE_MOUNT_2M "/dev/hugepages"
#define FP_SHM_HUGE_MOUNT_1G "/dev/hugepages1G"
#define FP_SHM_FILE_PREFIX   "fastpath-"
#define FP_SHM_MODE          0660
#define FP_SHM_SIZE_MAX      (UINT64_C(1) << 46) /* 64 TiB: stops overflow in the sums */

int fp_shm_check_instance(const char *instance)
{
	if (instance == NULL || instance[0] == '\0')
		return fp_err_set(-EINVAL, "no instance name given: set one (e.g. \"dev\")");
	size_t len = strlen(instance);
	if (len >= FP_SHM_INSTANCE_MAX)
		return fp_err_set(-EINVAL, "instance name '%s' is longer than %d characters",
				  instance, FP_SHM_INSTANCE_MAX - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)instance[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return fp_err_set(-EINVAL,
					  "instance name '%s' has '%c': use letters, digits, '_', "
					  "'-' and '.' only",
					  instance, c);
	}
	return 0;
}

int fp_shm_check_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int e = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (res == NULL)
		return fp_err_set(e ? -e : -ENOENT,
				  "group '%s' (configured owner of the segment) does not "
				  "exist: create it ('groupadd %s') or change the configuration",
				  group, group);
	if (gid)
		*gid = gr.gr_gid;
	return 0;
}

/* The hugetlbfs mount of @p page_bytes pages listed in /proc/mounts, copied to @p dir. */
static int fp_shm_find_hugetlbfs(uint64_t page_bytes, char *dir, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	if (f == NULL)
		return -errno;
	char line[512];
	int rc = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char dev[128], mnt[256], type[64], opts[256];
		if (sscanf(line, "%127s %255s %63s %255s", dev, mnt, type, opts) != 4 ||
		    strcmp(type, "hugetlbfs") != 0)
			continue;
		uint64_t ps = 2u << 20; /* the default hugepage size of x86-64 */
		const char *p = strstr(opts, "pagesize=");
		if (p) {
			char *end;
			ps = strtoull(p + 9, &end, 10);
			ps <<= (*end == 'G' ? 30 : *end == 'M' ? 20 : *end == 'K' ? 10 : 0);
		}
		if (ps == page_bytes && strlen(mnt) < len) {
			strcpy(dir, mnt);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int64_t fp_shm_read_u64_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	unsigned long long v;
	int n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? (int64_t)v : -EIO;
}

/* Hugepages of @p page_bytes that are free and not reserved by another mapping. */
static int64_t fp_shm_free_hugepages(uint64_t page_bytes)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/",
		 page_bytes >> 10);
	char p2[160];
	snprintf(p2, sizeof(p2), "%sfree_hugepages", path);
	int64_t nfree = fp_shm_read_u64_file(p2);
	snprintf(p2, sizeof(p2), "%sresv_hugepages", path);
	int64_t resv = fp_shm_read_u64_file(p2);
	if (nfree < 0)
		return nfree;
	return resv > 0 ? nfree - resv : nfree;
}

/* Start time of @p pid in clock ticks since boot (/proc/PID/stat field 22), or 0. */
static uint64_t fp_shm_pid_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (p == NULL)
		return 0;
	/* p + 2 is field 3 (state); field 22 is 19 fields further */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

/* Invariant (2): the creator recorded in @p h still runs. */
static int fp_shm_creator_alive(const struct fp_shm_hdr *h)
{
	if (h->creator_pid <= 0)
		return 0;
	if (kill(h->creator_pid, 0) != 0 && errno != EPERM)
		return 0;
	uint64_t start = fp_shm_pid_start(h->creator_pid);
	return start == 0 || h->creator_start == 0 || start == h->creator_start;
}

static void fp_shm_layout_str(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu32 ".%" PRIu32 ".%" PRIu32 " (header.ring.event)", v >> 16,
		 (v >> 8) & 0xff, v & 0xff);
}

static void fp_shm_path(char *buf, size_t len, const char *dir, const char *instance)
{
	int n = snprintf(buf, len, "%s/" FP_SHM_FILE_PREFIX "%s", dir, instance);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0'; /* too long: stat/open of "" fail cleanly with ENOENT */
}

/*
 * Find the file of @p instance: the hugetlbfs mounts (given, or 2 MiB then 1 GiB from
 * /proc/mounts), then the fallback directory. 0 with @p path set, or -ENOENT.
 */
static int fp_shm_locate(const struct fp_shm_opts *o, char *path, size_t len)
{
	char dirs[3][256];
	unsigned nb = 0;
	if (o->huge_dir)
		snprintf(dirs[nb++], sizeof(dirs[0]), "%s", o->huge_dir);
	else {
		if (fp_shm_find_hugetlbfs(UINT64_C(2) << 20, dirs[nb], sizeof(dirs[0])) == 0)
			nb++;
		if (fp_shm_find_hugetlbfs(UINT64_C(1) << 30, dirs[nb], sizeof(dirs[0])) == 0)
			nb++;
	}
	snprintf(dirs[nb++], sizeof(dirs[0]), "%s", o->shm_dir ? o->shm_dir : FP_SHM_DEFAULT_DIR);
	for (unsigned i = 0; i < nb; i++) {
		struct stat st;
		fp_shm_path(path, len, dirs[i], o->instance);
		if (stat(path, &st) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * Invariants (1) and (2): before creating, look for a file of the same instance. Live or
 * foreign: refuse. Left by a dead creator: remove it and note the takeover in @p seg.
 */
static int fp_shm_takeover(struct fp_shm *seg, const struct fp_shm_opts *o)
{
	char path[256];
	while (fp_shm_locate(o, path, sizeof(path)) == 0) {
		struct fp_shm_hdr h;
		memset(&h, 0, sizeof(h));
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fp_err_set(-errno,
					  "instance '%s' exists (%s) and cannot be read: %s; stop "
					  "the instance or remove the file",
					  o->instance, path, strerror(errno));
		ssize_t n = pread(fd, &h, sizeof(h), 0);
		close(fd);
		if (n < (ssize_t)offsetof(struct fp_shm_hdr, dir) || h.magic != FP_SHM_MAGIC)
			return fp_err_set(-EEXIST,
					  "%s exists but is not a fastpath segment: remove it "
					  "('rm %s') or choose another instance name",
					  path, path);
		if (fp_shm_creator_alive(&h))
			return fp_err_set(-EEXIST,
					  "instance '%s' is live: its creator pid %" PRId32
					  " still runs (%s); stop it first or choose another "
					  "instance name",
					  o->instance, h.creator_pid, path);
		if (unlink(path) != 0)
			return fp_err_set(-errno, "cannot remove the stale segment %s: %s", path,
					  strerror(errno));
		size_t used = strlen(seg->warning);
		snprintf(seg->warning + used, sizeof(seg->warning) - used,
			 "%stook over instance '%s': removed %s left by pid %" PRId32
			 " (no longer running)",
			 used ? "; " : "", o->instance, path, h.creator_pid);
	}
	return 0;
}

/* Choose the backing: directory, page size, and a warning when hugepages are not used. */
static int fp_shm_choose_backing(struct fp_shm *seg, const struct fp_shm_opts *o, uint64_t bytes,
				 char *dir, size_t len, uint64_t *page_bytes, uint32_t *backing)
{
	const char *shm_dir = o->shm_dir ? o->shm_dir : FP_SHM_DEFAULT_DIR;
	size_t keep = strlen(seg->warning); /* an earlier note (takeover) stays */
	if (o->hugepages != FP_SHM_HUGE_OFF) {
		int want_1g = o->hugepages == FP_SHM_HUGE_1G;
		for (int pass = want_1g ? 0 : 1; pass < 2; pass++) {
			uint64_t ps = pass == 0 ? UINT64_C(1) << 30 : UINT64_C(2) << 20;
			uint64_t need = (bytes + ps - 1) / ps;
			int64_t nfree = fp_shm_free_hugepages(ps);
			if (nfree < (int64_t)need) {
				size_t used = strlen(seg->warning);
				snprintf(seg->warning + used, sizeof(seg->warning) - used,
					 "%s%" PRIu64 " free %s hugepages needed, %" PRId64
					 " available",
					 used ? "; " : "", need, pass == 0 ? "1 GiB" : "2 MiB",
					 nfree < 0 ? (int64_t)0 : nfree);
				continue;
			}
			if (o->huge_dir)
				snprintf(dir, len, "%s", o->huge_dir);
			else if (fp_shm_find_hugetlbfs(ps, dir, len) != 0) {
				/* none mounted: mount one where systemd would */
				const char *mnt =
					pass == 0 ? FP_SHM_HUGE_MOUNT_1G : FP_SHM_HUGE_MOUNT_2M;
				mkdir(mnt, 0755);
				if (mount("nodev", mnt, "hugetlbfs", 0,
					  pass == 0 ? "pagesize=1G" : "pagesize=2M") != 0) {
					size_t used = strlen(seg->warning);
					snprintf(seg->warning + used, sizeof(seg->warning) - used,
						 "%sno hugetlbfs mounted and mounting one on %s "
						 "failed (%s)",
						 used ? "; " : "", mnt, strerror(errno));
					continue;
				}
				snprintf(dir, len, "%s", mnt);
			}
			*page_bytes = ps;
			*backing = pass == 0 ? FP_SHM_BACKING_HUGE_1G : FP_SHM_BACKING_HUGE_2M;
			seg->warning[keep] = '\0'; /* 2 MiB after a 1 GiB miss is fine */
			return 0;
		}
		size_t used = strlen(seg->warning);
		uint64_t need2m = (bytes + (UINT64_C(2) << 20) - 1) >> 21;
		snprintf(seg->warning + used, sizeof(seg->warning) - used,
			 ": segment of instance '%s' is in %s with 4 KiB pages (slower: TLB "
			 "misses); reserve hugepages with 'echo %" PRIu64
			 " > /proc/sys/vm/nr_hugepages' (as root, before starting)",
			 o->instance, shm_dir, need2m + 64);
	}
	snprintf(dir, len, "%s", shm_dir);
	*page_bytes = 4096;
	*backing = FP_SHM_BACKING_SHM;
	return 0;
}

/* Invariant (3): fault every page in (writing when @p write), then lock unless told not. */
static int fp_shm_prefault_lock(struct fp_shm *seg, uint64_t page_bytes, int write, unsigned flags)
{
	volatile uint8_t *p = (volatile uint8_t *)seg->hdr;
	uint64_t step = page_bytes < 4096 ? 4096 : page_bytes;
	for (uint64_t off = 0; off < seg->size; off += step) {
		if (write)
			p[off] = p[off];
		else
			(void)p[off];
	}
	if (!(flags & FP_SHM_F_NO_MLOCK) && mlock(seg->hdr, seg->size) != 0)
		return fp_err_set(-errno,
				  "cannot lock %" PRIu64 " bytes of %s in memory: %s; raise the "
				  "limit ('ulimit -l', LimitMEMLOCK= in systemd) or grant "
				  "CAP_IPC_LOCK",
				  seg->size, seg->path, strerror(errno));
	return 0;
}

int fp_shm_create(struct fp_shm *seg, const struct fp_shm_opts *o)
{
	memset(seg, 0, sizeof(*seg));
	seg->fd = -1;
	int rc = fp_shm_check_instance(o->instance);
	if (rc < 0)
		return rc;
	if (o->nb_regions > FP_SHM_MAX_REGIONS)
		return fp_err_set(-EINVAL, "instance '%s': %u regions, at most %d", o->instance,
				  o->nb_regions, FP_SHM_MAX_REGIONS);

	/* Lay the regions out: each at a 4 KiB boundary after the header page. */
	uint64_t off[FP_SHM_MAX_REGIONS], end = FP_SHM_HDR_BYTES;
	for (unsigned i = 0; i < o->nb_regions; i++) {
		const struct fp_shm_region_spec *r = &o->regions[i];
		if (r->name == NULL || r->name[0] == '\0' || strlen(r->name) >= FP_SHM_NAMESIZE)
			return fp_err_set(-EINVAL,
					  "region %u: name must be 1 to %d characters (got '%s')",
					  i, FP_SHM_NAMESIZE - 1, r->name ? r->name : "(null)");
		if (r->size == 0 || r->size > FP_SHM_SIZE_MAX)
			return fp_err_set(-EINVAL,
					  "region '%s': size %" PRIu64
					  " must be between 1 and %" PRIu64,
					  r->name, r->size, FP_SHM_SIZE_MAX);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(o->regions[j].name, r->name) == 0)
				return fp_err_set(-EINVAL, "region '%s' is declared twice",
						  r->name);
		off[i] = end;
		end = FP_ALIGN_UP(end + r->size, (uint64_t)FP_SHM_REGION_ALIGN);
	}

	uint64_t hz = o->tsc_hz;
	if (hz == 0 && (rc = fp_tsc_calibrate(&hz)) < 0)
		return fp_err_append(rc, "instance '%s': the segment stores the TSC rate",
				     o->instance);

	gid_t gid = (gid_t)-1;
	if (o->group && (rc = fp_shm_check_group(o->group, &gid)) < 0)
		return rc;

	rc = fp_shm_takeover(seg, o);
	if (rc < 0)
		return fp_err_append(rc, "creating instance '%s'", o->instance);

	char dir[256];
	uint64_t page_bytes;
	uint32_t backing;
	rc = fp_shm_choose_backing(seg, o, end, dir, sizeof(dir), &page_bytes, &backing);
	if (rc < 0)
		return rc;
	uint64_t total = FP_ALIGN_UP(end, page_bytes);
	fp_shm_path(seg->path, sizeof(seg->path), dir, o->instance);

	int fd = open(seg->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, FP_SHM_MODE);
	if (fd < 0)
		return fp_err_set(-errno, "cannot create %s: %s", seg->path, strerror(errno));
	seg->fd = fd;
	seg->creator = 1;
	if (fchmod(fd, FP_SHM_MODE) != 0) { /* the umask may have cleared group bits */
		rc = fp_err_set(-errno, "chmod 0660 %s: %s", seg->path, strerror(errno));
		goto err;
	}
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0) {
		rc = fp_err_set(-errno,
				"cannot give %s to group '%s': %s (run as root or as a "
				"member of the group)",
				seg->path, o->group, strerror(errno));
		goto err;
	}
	if (ftruncate(fd, (off_t)total) != 0) {
		rc = fp_err_set(-errno, "cannot size %s to %" PRIu64 " bytes: %s", seg->path, total,
				strerror(errno));
		goto err;
	}
	/* Allocate the backing now so that a full tmpfs is an error here, not a SIGBUS later. */
	if (fallocate(fd, 0, 0, (off_t)total) != 0 && errno != EOPNOTSUPP) {
		rc = fp_err_set(-errno,
				"cannot allocate %" PRIu64 " bytes for %s: %s; free memory, grow "
				"the filesystem or reserve more hugepages",
				total, seg->path, strerror(errno));
		goto err;
	}
	void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (base == MAP_FAILED) {
		rc = fp_err_set(-errno, "cannot map %" PRIu64 " bytes of %s: %s", total, seg->path,
				strerror(errno));
		goto err;
	}
	seg->hdr = base;
	seg->size = total;
	rc = fp_shm_prefault_lock(seg, page_bytes, 1, o->flags);
	if (rc < 0)
		goto err;

	struct fp_shm_hdr *h = seg->hdr;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	h->magic = FP_SHM_MAGIC;
	h->layout_version = FP_SHM_LAYOUT_VERSION;
	h->hdr_bytes = FP_SHM_HDR_BYTES;
	h->total_bytes = total;
	h->page_bytes = page_bytes;
	h->tsc_hz = hz;
	h->created_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	h->creator_pid = (int32_t)getpid();
	h->creator_start = fp_shm_pid_start(getpid());
	h->backing = backing;
	h->nb_regions = o->nb_regions;
	strcpy(h->instance, o->instance);
	for (unsigned i = 0; i < o->nb_regions; i++) {
		strcpy(h->dir[i].name, o->regions[i].name);
		h->dir[i].offset = off[i];
		h->dir[i].size = o->regions[i].size;
		h->dir[i].version = o->regions[i].version;
	}
	fp_shm_set_state(seg, FP_SHM_STATE_CREATING);
	return 0;
err:
	if (seg->hdr)
		munmap(seg->hdr, seg->size);
	close(fd);
	unlink(seg->path);
	memset(seg, 0, sizeof(*seg));
	seg->fd = -1;
	return fp_err_append(rc, "creating instance '%s'", o->instance);
}

int fp_shm_attach(struct fp_shm *seg, const struct fp_shm_opts *o)
{
	memset(seg, 0, sizeof(*seg));
	seg->fd = -1;
	int rc = fp_shm_check_instance(o->instance);
	if (rc < 0)
		return rc;
	if (fp_shm_locate(o, seg->path, sizeof(seg->path)) != 0)
		return fp_err_set(-ENOENT,
				  "instance '%s' is not running (no " FP_SHM_FILE_PREFIX
				  "%s in a hugetlbfs mount or %s): start it with 'fastpath run'",
				  o->instance, o->instance,
				  o->shm_dir ? o->shm_dir : FP_SHM_DEFAULT_DIR);
	int rdonly = (o->flags & FP_SHM_F_RDONLY) != 0;
	int fd = open(seg->path, (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM) {
			struct stat st;
			struct group gr, *res = NULL;
			char buf[2048], gname[64] = "?";
			if (stat(seg->path, &st) == 0 &&
			    getgrgid_r(st.st_gid, &gr, buf, sizeof(buf), &res) == 0 && res)
				snprintf(gname, sizeof(gname), "%s", gr.gr_name);
			return fp_err_set(-EACCES,
					  "permission denied attaching instance '%s' (%s, mode "
					  "0%03o, group '%s'): run as a member of group '%s'",
					  o->instance, seg->path, (unsigned)(st.st_mode & 0777),
					  gname, gname);
		}
		return fp_err_set(-errno, "cannot open %s: %s", seg->path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = fp_err_set(-errno, "stat %s: %s", seg->path, strerror(errno));
		goto err_close;
	}
	/* Invariant (4): check everything against the file before mapping it. */
	struct fp_shm_hdr h;
	memset(&h, 0, sizeof(h));
	ssize_t n = pread(fd, &h, sizeof(h), 0);
	if (n < (ssize_t)sizeof(h.magic) || h.magic != FP_SHM_MAGIC) {
		rc = fp_err_set(-EPROTO,
				"%s is not a fastpath segment (wrong magic, %lld bytes): another "
				"program's file? remove it if no fastpath instance '%s' runs",
				seg->path, (long long)st.st_size, o->instance);
		goto err_close;
	}
	if (h.layout_version != FP_SHM_LAYOUT_VERSION) {
		char theirs[64], ours[64];
		fp_shm_layout_str(h.layout_version, theirs, sizeof(theirs));
		fp_shm_layout_str(FP_SHM_LAYOUT_VERSION, ours, sizeof(ours));
		rc = fp_err_set(
			-EPROTONOSUPPORT,
			"instance '%s' has segment layout version %s but this program "
			"uses %s: run the same build as the instance's supervisor (pid %" PRId32
			"), or restart the instance with this build",
			o->instance, theirs, ours, h.creator_pid);
		goto err_close;
	}
	if (n < (ssize_t)sizeof(h) || (uint64_t)st.st_size < FP_SHM_HDR_BYTES ||
	    (uint64_t)st.st_size < h.total_bytes) {
		rc = fp_err_set(-EBADMSG,
				"segment %s is truncated: the header says %" PRIu64
				" bytes, the file has %lld; stop the instance and remove the file",
				seg->path, h.total_bytes, (long long)st.st_size);
		goto err_close;
	}
	if (h.hdr_bytes != FP_SHM_HDR_BYTES || h.nb_regions > FP_SHM_MAX_REGIONS ||
	    h.total_bytes > FP_SHM_SIZE_MAX || h.page_bytes == 0) {
		rc = fp_err_set(-EPROTO, "segment %s has a corrupt header: remove the file",
				seg->path);
		goto err_close;
	}
	for (uint32_t i = 0; i < h.nb_regions; i++) {
		const struct fp_shm_dirent *d = &h.dir[i];
		if (d->offset < FP_SHM_HDR_BYTES || d->offset % FP_SHM_REGION_ALIGN != 0 ||
		    d->size > h.total_bytes || d->offset > h.total_bytes - d->size ||
		    memchr(d->name, '\0', sizeof(d->name)) == NULL) {
			rc = fp_err_set(-EPROTO,
					"segment %s: region %" PRIu32 " lies outside the segment "
					"(offset %" PRIu64 ", size %" PRIu64 "): remove the file",
					seg->path, i, d->offset, d->size);
			goto err_close;
		}
	}
	if (atomic_load_explicit(&h.state, memory_order_relaxed) == FP_SHM_STATE_CREATING) {
		rc = fp_err_set(-EAGAIN,
				"instance '%s' is still being created by pid %" PRId32 ": retry",
				o->instance, h.creator_pid);
		goto err_close;
	}
	void *base = mmap(NULL, h.total_bytes, PROT_READ | (rdonly ? 0 : PROT_WRITE),
			  MAP_SHARED | MAP_POPULATE, fd, 0);
	if (base == MAP_FAILED) {
		rc = fp_err_set(-errno, "cannot map %" PRIu64 " bytes of %s: %s", h.total_bytes,
				seg->path, strerror(errno));
		goto err_close;
	}
	seg->hdr = base;
	seg->size = h.total_bytes;
	seg->fd = fd;
	rc = fp_shm_prefault_lock(seg, h.page_bytes, 0, o->flags);
	if (rc < 0) {
		fp_shm_detach(seg);
		return fp_err_append(rc, "attaching instance '%s'", o->instance);
	}
	return 0;
err_close:
	close(fd);
	seg->fd = -1;
	return rc;
}

void fp_shm_detach(struct fp_shm *seg)
{
	if (seg == NULL)
		return;
	if (seg->hdr)
		munmap(seg->hdr, seg->size);
	if (seg->fd >= 0)
		close(seg->fd);
	seg->hdr = NULL;
	seg->size = 0;
	seg->fd = -1;
}

int fp_shm_destroy(struct fp_shm *seg)
{
	if (seg == NULL || seg->hdr == NULL)
		return 0;
	fp_shm_set_state(seg, FP_SHM_STATE_STOPPING);
	int rc = 0;
	if (unlink(seg->path) != 0)
		rc = fp_err_set(-errno, "cannot remove %s: %s", seg->path, strerror(errno));
	fp_shm_detach(seg);
	return rc;
}

void fp_shm_set_state(struct fp_shm *seg, enum fp_shm_state state)
{
	/* Release: pairs with the acquire of fp_shm_get_state(); everything the creator wrote
	 * into the regions before (rings initialised, tables filled) is visible after it. */
	atomic_store_explicit(&seg->hdr->state, (uint32_t)state, memory_order_release);
}

enum fp_shm_state fp_shm_get_state(const struct fp_shm *seg)
{
	/* Acquire: pairs with the release of fp_shm_set_state(). */
	return (enum fp_shm_state)atomic_load_explicit(&seg->hdr->state, memory_order_acquire);
}

const struct fp_shm_dirent *fp_shm_region_entry(const struct fp_shm *seg, const char *name)
{
	if (seg == NULL || seg->hdr == NULL || name == NULL)
		return NULL;
	const struct fp_shm_hdr *h = seg->hdr;
	for (uint32_t i = 0; i < h->nb_regions && i < FP_SHM_MAX_REGIONS; i++)
		if (strncmp(h->dir[i].name, name, FP_SHM_NAMESIZE) == 0)
			return &h->dir[i];
	return NULL;
}

void *fp_shm_region(const struct fp_shm *seg, const char *name, uint64_t *size)
{
	const struct fp_shm_dirent *d = fp_shm_region_entry(seg, name);
	if (d == NULL)
		return NULL;
	if (size)
		*size = d->size;
	return (uint8_t *)seg->hdr + d->offset;
}

void fp_shm_dump(FILE *out, const struct fp_shm *seg)
{
	if (seg == NULL || seg->hdr == NULL) {
		fprintf(out, "segment: not attached\n");
		return;
	}
	const struct fp_shm_hdr *h = seg->hdr;
	char lv[64];
	fp_shm_layout_str(h->layout_version, lv, sizeof(lv));
	static const char *const states[] = {"?", "creating", "ready", "stopping"};
	static const char *const backings[] = {"?", "/dev/shm (4 KiB pages)",
					       "hugetlbfs (2 MiB pages)",
					       "hugetlbfs (1 GiB pages)"};
	uint32_t st = atomic_load_explicit(&h->state, memory_order_acquire);
	fprintf(out, "segment '%.*s' at %s\n", FP_SHM_INSTANCE_MAX, h->instance, seg->path);
	fprintf(out, "  magic=0x%016" PRIx64 " layout=%s size=%" PRIu64 " page=%" PRIu64 "\n",
		h->magic, lv, h->total_bytes, h->page_bytes);
	fprintf(out, "  backing=%s state=%s tsc_hz=%" PRIu64 "\n",
		h->backing < 4 ? backings[h->backing] : "?", st < 4 ? states[st] : "?", h->tsc_hz);
	fprintf(out, "  creator pid=%" PRId32 " created_ns=%" PRIu64 "\n", h->creator_pid,
		h->created_ns);
	fprintf(out, "  regions (%" PRIu32 "):\n", h->nb_regions);
	for (uint32_t i = 0; i < h->nb_regions && i < FP_SHM_MAX_REGIONS; i++)
		fprintf(out,
			"    %-32.*s offset=%-10" PRIu64 " size=%-10" PRIu64 " version=%" PRIu32
			"\n",
			FP_SHM_NAMESIZE, h->dir[i].name, h->dir[i].offset, h->dir[i].size,
			h->dir[i].version);
}
