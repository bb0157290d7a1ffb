/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw.h - the order gateway stage: order intents from a ring become OUCH 5.0 messages on
 * a SoupBinTCP 3.0 session; the venue's answers drive an order state machine and become
 * execution reports on a ring.
 *
 * Who may call: one worker thread (the stage's placement is the supervisor's business).
 * fp_gw_init() allocates and may block briefly (cold path). fp_gw_poll() never allocates,
 * never blocks and never logs; its syscalls are the order's send() (the one syscall of
 * tick-to-trade, TCP_NODELAY, non-blocking), a non-blocking recv() every rx_interval_us at
 * most while up (never in front of an order: docs/gateway.md, "Reading the venue"), and a
 * connect()/poll() while (re)connecting. Clocks are read through the vDSO.
 *
 * Rings: in, `order_ring` of FP_EV_ORDER_NEW / CANCEL / REPLACE / MASS_CANCEL (struct
 * fp_ev_order; symbol_id indexes cfg.symtab, read through its API); out, `exec_ring` of
 * FP_EV_EXEC_ACCEPTED / FILL / CANCELED / REJECTED (struct fp_ev_exec). The exec ring never
 * drops: while it has fewer than FP_GW_EXEC_RESERVE free slots the gateway stops reading
 * the socket, and TCP pushes back on the venue.
 *
 * Session: login with credentials from the config or the environment (FP_GW_USER,
 * FP_GW_PASSWORD; never the command line; never logged), heartbeats after heartbeat_ms
 * without sending, the venue declared gone after timeout_ms of silence, reconnect with
 * exponential backoff and the sequence number of the next message not yet applied, so that
 * missed execution reports are replayed and applied exactly once. After each login the
 * gateway asks the venue for its next UserRefNum (Account Query) and never goes below it:
 * UserRefNums stay unique and strictly increasing across restarts of the day.
 *
 * Order states (see fp_gw_order.c for the transition table):
 *   PENDING_NEW -> ACCEPTED -> PARTIAL -> FILLED
 *               -> REJECTED  ACCEPTED/PARTIAL -> CANCELED
 *   with a pending cancel or pending replace on an open order. A venue message that names
 *   an unknown order or asks for an impossible transition is counted (nb_unknown,
 *   nb_impossible) and not applied. Every replace is answered: an order that ends (fill,
 *   cancel) with a replace in flight reports that replace refused right after its last
 *   report (FP_EV_EXEC_REJECTED of the replacement, FP_GW_REJ_ORDER_ENDED), and the
 *   venue's own refusal after it is not applied.
 *
 * Journal (shm/fp_journal.h; cfg.journal_ring, NULL = off). J2: every order message is
 * pushed on the journal ring (seq = its UserRefNum) before send(); with fewer than
 * FP_GW_EXEC_RESERVE free journal slots an order event is refused locally
 * (FP_GW_REJ_JOURNAL, nb_journal_full). J3: the exec reports of one venue message go to the
 * exec rings as they are made and to the journal ring together after it (written in place,
 * one commit, so a replace's two reports are never split); seq = the message's SoupBinTCP
 * sequence number (0 for the gateway's own rejects); fp_ev_exec.reserved = the order's
 * UserRefNum. While the journal ring has fewer than FP_GW_EXEC_RESERVE free slots the
 * socket is not read (nb_journal_stalls). Each login journals FP_JRNL_CTL_SESSION and
 * sends FP_EV_CTL_VENUE_UP (text = session) on both exec rings, before any replayed report.
 *
 * Recovery (J5): after fp_gw_init() and before the first poll, give every GW journal record
 * to fp_gw_recover_event() in journal order, then call fp_gw_recover_done(). The order table
 * (open and final orders), the UserRefNum high-water mark, the session and next_seq (the
 * last journaled sequenced message + 1) are rebuilt; the first login asks for that session
 * and number, so the venue replays exactly what the journal lacks. An Accepted for an
 * unknown UserRefNum (an order sent but not journaled before a crash) adopts the order from
 * the message (ClOrdID = client_order_id in base 32, its strategy id from shm/fp_order_id.h;
 * nb_adopted), but only an id where a lost order can be: ids grow per strategy, so above
 * every id of its strategy recovered from the journal or adopted, and below the first one
 * this gateway took from the order ring. Any other unknown id is an order the gateway had
 * (ended, its slot reused) or one no gateway of ours sent: unknown (nb_unknown). A
 * recovered order still PENDING_NEW after the Account Query answer whose UserRefNum is at
 * or above the venue's next one never reached the venue: it is reported as a local reject
 * FP_GW_REJ_LOST (nb_lost) and never sent.
 *
 * Kill switch: when the control block's kill word (shm/fp_shm_ctl.h) is tripped, the
 * gateway sends one Mass Cancel (every symbol) and a Cancel for every open order, refuses
 * new orders, and records the time from the trip (the block's change record) to the last
 * cancel sent.
 */
#ifndef FP_GW_H
#define FP_GW_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_event.h"
#include "fp_hist.h"
#include "fp_hmap.h"
#include "fp_journal_replay.h"
#include "fp_ouch.h"
#include "fp_ring.h"
#include "fp_shm_ctl.h"
#include "fp_soup.h"
#include "fp_stats_hdr.h"

struct fp_symtab;
struct fp_gw_proto;
struct fp_gw_fix;
struct fp_gw_tls;

/** Venue protocols (fp_gw_cfg.protocol; gateway.protocol in a config file). */
enum fp_gw_protocol {
	FP_GW_PROTO_OUCH50 = 0, /**< "ouch50": OUCH 5.0 over SoupBinTCP 3.0 (fp_gw_ouch.c) */
	FP_GW_PROTO_FIX44 = 1,  /**< "fix44": FIX 4.4 (fp_gw_fix.c) */
};

/** Transport security (fp_gw_cfg.tls; gateway.tls). Default: on for fix44, off for ouch50. */
enum fp_gw_tls_mode {
	FP_GW_TLS_DEFAULT = 0, /**< the protocol's default */
	FP_GW_TLS_ON = 1,      /**< TLS 1.2/1.3 with OpenSSL, venue verified (fp_gw_tls.c) */
	FP_GW_TLS_OFF = 2,     /**< plain TCP, said explicitly (warned at every start) */
};

/** Longest FIX CompID the gateway takes (fp_fix_tmpl_init's limit). */
#define FP_GW_COMP_ID_LEN 32

/** Environment variable holding the TLS client key's passphrase (never a file or argv). */
#define FP_GW_TLS_PASS_ENV "FP_GW_TLS_KEY_PASSPHRASE"

/** Venue port when the configuration names none (fastpath-sim's order-entry port). */
#define FP_GW_DEFAULT_PORT 15000

/** Free exec-ring slots needed before one venue message is applied: the most reports one
 *  message makes (fp_gw_order.c, invariant 4): 2 (a replace: old leg canceled and new leg
 *  accepted; a FIX Trade of an order pending new: accepted and filled; an order that ends
 *  with a replace in flight: its last report and the replacement refused). */
#define FP_GW_EXEC_RESERVE 2
/** Bytes the gateway holds when the socket does not take a whole message at once. */
#define FP_GW_TX_BACKLOG   65536
/** fp_gw_order.recovered of an order released with FP_GW_REJ_LOST. */
#define FP_GW_REC_LOST     2
/** Strategies whose id marks one gateway keeps (fp_gw.id_marks): a power of two; beyond
 *  it, orders flow but the venue's reports of orders the gateway does not know are no
 *  longer adopted for the strategies left out (fail closed). */
#define FP_GW_ID_MARKS     256

/** @internal Per strategy: which of its client order ids a venue report may adopt
 *  (fp_gw_order.c, id marks). */
struct fp_gw_id_mark {
	uint64_t known;      /**< highest id recovered from the journal or adopted */
	uint64_t first_live; /**< lowest id taken from the order ring; UINT64_MAX: none */
	uint16_t key;        /**< strategy id + 1; 0: a free slot */
};

/** fp_ev_control.arg of the FP_EV_CTL_VENUE_UP sent (to exec_ring) once a login is
 *  synchronised (Account Query answered: the venue's replay is applied); 0 at login. */
#define FP_GW_VENUE_SYNCED 1

/** Reasons of gateway-made rejects (fp_ev_exec.reason); venue reasons are below 0x80.
 *  Names: fp_gw_reject_name(). */
enum fp_gw_reject {
	FP_GW_REJ_FIRST = 0x80,
	FP_GW_REJ_DUPLICATE_ID = 0x80, /**< client_order_id already open */
	FP_GW_REJ_TABLE_FULL = 0x81,   /**< max_orders open */
	FP_GW_REJ_NOT_CONNECTED = 0x82,
	FP_GW_REJ_UNKNOWN_SYMBOL = 0x83,
	FP_GW_REJ_KILLED = 0x84,        /**< kill switch set */
	FP_GW_REJ_UNKNOWN_ORDER = 0x85, /**< cancel/replace of an order not open */
	FP_GW_REJ_PENDING = 0x86,       /**< a cancel or replace is already in flight */
	FP_GW_REJ_BAD_ORDER = 0x87,     /**< side, tif or quantity unusable */
	FP_GW_REJ_JOURNAL = 0x88,       /**< journal ring full: nothing leaves unrecorded (J2) */
	FP_GW_REJ_LOST = 0x89,          /**< recovered order the venue never received (crash between
				  journal and send): released, never sent */
	FP_GW_REJ_ORDER_ENDED = 0x8a,   /**< a replace in flight whose order ended first (filled,
				  canceled) before the venue answered it: the replacement
				  never lives (fp_gw_order.c, order_end) */
	FP_GW_REJ_END,                  /**< one past the last */
};
/** Number of gateway reject reasons (fp_gw_stats.nb_local_by_reason). */
#define FP_GW_REJ_NB (FP_GW_REJ_END - FP_GW_REJ_FIRST)

enum fp_gw_order_state {
	FP_GW_FREE = 0,
	FP_GW_PENDING_NEW,
	FP_GW_ACCEPTED,
	FP_GW_PARTIAL,
	FP_GW_FILLED,
	FP_GW_CANCELED,
	FP_GW_REJECTED,
};

enum fp_gw_pending {
	FP_GW_PEND_NONE = 0,
	FP_GW_PEND_CANCEL,
	FP_GW_PEND_REPLACE,
};

enum fp_gw_session_state {
	FP_GW_DOWN = 0,   /**< waiting for the next connect attempt (backoff) */
	FP_GW_CONNECTING, /**< non-blocking connect in progress */
	FP_GW_LOGGING_IN, /**< Login Request sent */
	FP_GW_SYNCING,    /**< logged in, Account Query sent: orders wait for the answer */
	FP_GW_UP,         /**< orders flow */
};

/** One order as the gateway knows it. */
struct fp_gw_order {
	uint64_t client_order_id;
	uint64_t order_reference_number; /**< venue's, once accepted */
	int64_t price;
	uint32_t user_ref_num; /**< current UserRefNum of the order chain */
	uint32_t qty;          /**< order size (shares liable over the chain) */
	uint32_t filled;
	uint32_t leaves;               /**< open on the book */
	uint64_t pend_client_order_id; /**< replace in flight: the replacement's id */
	int64_t pend_price;
	uint32_t pend_user_ref_num;
	uint32_t pend_qty;
	uint32_t symbol_id;
	uint16_t strategy_id;
	uint8_t side;
	uint8_t tif;       /**< enum fp_tif */
	uint8_t state;     /**< enum fp_gw_order_state */
	uint8_t pending;   /**< enum fp_gw_pending */
	uint8_t recovered; /**< 1: rebuilt from the journal; FP_GW_REC_LOST: released as lost */
};

struct fp_gw_cfg {
	const char *host;                        /**< venue IPv4 address, NULL = 127.0.0.1 */
	uint16_t port;                           /**< venue port */
	char username[FP_SOUP_USERNAME_LEN + 1]; /**< "" = from FP_GW_USER */
	char password[FP_SOUP_PASSWORD_LEN + 1]; /**< "" = from FP_GW_PASSWORD */
	const char *session;                     /**< requested session, NULL/"" = current */
	char firm[5];                            /**< Firm appendage on Enter Order, "" = none */
	uint8_t capacity;                        /**< OUCH Capacity, 0 = 'P' (principal) */
	struct fp_ring *order_ring;              /**< in: FP_EV_ORDER_* (this stage consumes) */
	struct fp_ring *exec_ring;               /**< out: FP_EV_EXEC_* (this stage produces) */
	struct fp_ring *exec_ring2;              /**< out: a copy for a second consumer, or NULL */
	struct fp_ring *journal_ring;            /**< out: FP_JRNL_RING_GW records, NULL = off */
	const struct fp_symtab *symtab;          /**< symbol_id -> name (shm/fp_symtab.h) */
	/** Log in only once md holds the session's whole directory (fp_symtab_directory_ready):
	 *  after a restart the venue's replay may name orders the journal lost, and only their
	 *  symbol names can adopt them. Set when an md stage feeds the symbol table. */
	bool wait_directory;
	uint32_t max_orders;          /**< open orders at once, power of 2 (default 4096) */
	uint32_t first_user_ref_num;  /**< lowest UserRefNum to use (default 1) */
	uint32_t heartbeat_ms;        /**< default FP_SOUP_HEARTBEAT_MS */
	uint32_t timeout_ms;          /**< default FP_SOUP_TIMEOUT_MS */
	uint32_t backoff_min_ms;      /**< first reconnect delay (default 100) */
	uint32_t backoff_max_ms;      /**< longest reconnect delay (default 5000) */
	int32_t rx_interval_us;       /**< while up, read the venue at most this often (default
					 20 when 0; negative: every poll), so that an idle recv()
					 does not sit in every turn of a fused hot loop; a poll
					 that took orders leaves a due read to a later poll, by
					 one more interval at most (docs/gateway.md) */
	const struct fp_shm_ctl *ctl; /**< kill switch, NULL = none */
	struct fp_hist *t2t_hist;     /**< TSC handing the bytes to send() - t_rx, per new order */
	struct fp_hist *decide_hist;  /**< hop md+book+strategy: t_decide - t_rx (NULL = none) */
	struct fp_hist *route_hist;   /**< hop risk+gateway: send TSC - t_decide (NULL = none) */
	struct fp_gw_stats *stats;    /**< counters region (zeroed by init), NULL = kept inside */
	/* venue protocol and transport (fp_gw_cfg.c reads them; docs/gateway.md) */
	uint8_t protocol;                           /**< enum fp_gw_protocol */
	uint8_t fix_reset_on_logon;                 /**< FIX: 141=Y on every Logon */
	uint8_t tls;                                /**< enum fp_gw_tls_mode */
	char sender_comp_id[FP_GW_COMP_ID_LEN + 1]; /**< FIX: our SenderCompID (49) */
	char target_comp_id[FP_GW_COMP_ID_LEN + 1]; /**< FIX: the venue's CompID (56) */
	const char *tls_ca_file;     /**< PEM CA bundle the venue's certificate must chain to */
	const char *tls_server_name; /**< name the certificate must carry (SNI too), NULL = host */
	const char *tls_cert_file;   /**< client certificate (mutual TLS), NULL = none */
	const char *tls_key_file;    /**< its key; passphrase from FP_GW_TLS_KEY_PASSPHRASE */
};

/* Layout version 3: transport, ktls_tx, ktls_rx (were pad0); nb_tx_backlog, nb_rx_reads,
 * rx_gap_max_ns (were reserved). Version 4: nb_cancel_rejects (was reserved). */
#define FP_GW_STATS_MAGIC   0x5354415453574746ull /* "FGWSTATS" little-endian */
#define FP_GW_STATS_VERSION 4
/** Slots of fp_gw_stats.nb_local_by_reason (FP_GW_REJ_NB used). */
#define FP_GW_REJ_SLOTS     16

/** fp_gw_stats.transport: what carries the venue session (TLS: the last handshake's). */
enum fp_gw_transport_kind {
	FP_GW_TRANSPORT_TCP = 0,   /**< plain TCP (tls = "off") */
	FP_GW_TRANSPORT_TLS = 1,   /**< TLS, no handshake done yet */
	FP_GW_TRANSPORT_TLS12 = 2, /**< TLS 1.2 (OpenSSL) */
	FP_GW_TRANSPORT_TLS13 = 3, /**< TLS 1.3 (OpenSSL) */
};

/**
 * The gateway's counters, laid out for a segment region ("gw.stats"; cfg.stats): single
 * writer (the gateway's thread, plain stores as it works), any number of readers in any
 * process (plain loads: each field is one aligned word, figures of different fields may be
 * a poll apart). Fixed size, whole cache lines, no implicit padding, checked by the static
 * asserts below; readers check magic, version and size (fp_gw_stats_check()).
 */
struct fp_gw_stats {
	uint64_t magic;            /**< FP_GW_STATS_MAGIC */
	uint32_t version;          /**< FP_GW_STATS_VERSION */
	uint32_t size;             /**< sizeof(struct fp_gw_stats) */
	uint64_t nb_orders_in;     /**< events taken from the order ring */
	uint64_t nb_sent;          /**< messages handed to send() (orders, cancels, queries) */
	uint64_t nb_orders_sent;   /**< new orders handed to send() (Enter Order) */
	uint64_t nb_replaces_sent; /**< replaces handed to send() (Replace Order) */
	uint64_t nb_local_rejects;
	uint64_t nb_local_by_reason[FP_GW_REJ_SLOTS]; /**< local rejects by FP_GW_REJ_* - 0x80 */
	uint64_t nb_venue_msgs;                       /**< sequenced messages applied */
	uint64_t nb_accepted;
	uint64_t nb_fills;
	uint64_t nb_canceled;
	uint64_t nb_rejected;
	uint64_t nb_replaced;
	uint64_t nb_unknown;    /**< venue message for an order the gateway does not know */
	uint64_t nb_impossible; /**< transition refused (e.g. a fill beyond the leaves) */
	uint64_t nb_connects;   /**< connect attempts */
	uint64_t nb_logins;
	uint64_t nb_login_rejected;
	uint64_t nb_disconnects;  /**< sessions lost (each trips the breaker) */
	uint64_t nb_timeouts;     /**< venue silent for timeout_ms */
	uint64_t nb_seq_gaps;     /**< venue's login sequence beyond ours: messages lost */
	uint64_t nb_heartbeats;   /**< client heartbeats sent */
	uint64_t nb_exec_stalls;  /**< polls that stopped reading: exec ring full */
	uint64_t nb_kill_cancels; /**< cancels sent by the kill switch */
	uint64_t kill_latency_ns; /**< kill word set -> last kill cancel sent */
	uint64_t next_seq;        /**< next sequenced message expected from the venue */
	uint32_t next_user_ref_num;
	uint32_t nb_open;  /**< orders not final */
	uint8_t session;   /**< enum fp_gw_session_state */
	uint8_t breaker;   /**< 1 after a venue disconnect, until fp_gw_reset_breaker */
	uint8_t killed;    /**< 1 kill seen, 2 its cancels sent; 0 again once re-armed */
	uint8_t transport; /**< enum fp_gw_transport_kind of the session (TLS: once handshaken) */
	uint8_t ktls_tx;   /**< 1: the kernel does the TLS record layer of what we send */
	uint8_t ktls_rx;   /**< 1: the kernel decrypts what we receive (kernel TLS offload) */
	uint8_t pad0[2];   /**< explicit: no implicit padding in a shared layout */
	/* journal (shm/fp_journal.h) and recovery */
	uint64_t nb_journal_full;       /**< orders refused locally: journal ring full (J2) */
	uint64_t nb_journal_stalls;     /**< polls that stopped reading: journal ring full (J3) */
	uint64_t nb_journal_unrecorded; /**< events that found no journal room (kill cancels) */
	uint64_t nb_adopted;            /**< orders created from a venue Accepted (not journaled) */
	uint64_t nb_lost;               /**< recovered orders the venue never saw: rejected */
	uint64_t nb_recovered_records;  /**< journal records given to fp_gw_recover_event */
	uint64_t nb_recovered_orders;   /**< orders rebuilt from the journal */
	uint64_t nb_recovered_open;     /**< of which open (or pending) after the replay */
	uint64_t nb_recovered_fills;    /**< fills replayed from the journal */
	uint64_t nb_recover_unknown;    /**< journal records naming an order not rebuilt */
	uint64_t nb_session_resets;     /**< recovered session refused at login: started anew */
	uint64_t nb_relived; /**< lost orders the venue accepted after all (sync ended early) */
	uint64_t nb_recover_skipped; /**< order events handled before the crash, seen again */
	uint64_t nb_directory_waits; /**< login attempts held: md's directory not yet whole */
	/* send and receive paths (docs/gateway.md, "Reading the venue") */
	uint64_t nb_tx_backlog; /**< messages send() did not take whole: queued in the backlog
				     (a new order among them gives no tick-to-trade sample) */
	uint64_t nb_rx_reads;   /**< recv() calls on the venue socket */
	uint64_t rx_gap_max_ns; /**< longest time between two reads while the session is up */
	/* Cancels refused (OUCH Cancel Reject, FIX OrderCancelReject 434=1, a FIX partial
	 * cancel): the order stays open, and nothing but this counter says so. */
	uint64_t nb_cancel_rejects;
	uint64_t reserved[2]; /**< to a whole number of cache lines; zero */
} FP_CACHE_ALIGNED;

static_assert(FP_GW_REJ_NB <= FP_GW_REJ_SLOTS, "fp_gw_stats.nb_local_by_reason too small");
static_assert(offsetof(struct fp_gw_stats, version) == offsetof(struct fp_stats_hdr, version) &&
		      offsetof(struct fp_gw_stats, size) == offsetof(struct fp_stats_hdr, size),
	      "fp_gw_stats starts with struct fp_stats_hdr");
static_assert(offsetof(struct fp_gw_stats, nb_orders_in) == 16, "fp_gw_stats header");
static_assert(offsetof(struct fp_gw_stats, next_user_ref_num) == 336, "fp_gw_stats u32 part");
static_assert(offsetof(struct fp_gw_stats, nb_journal_full) == 352, "fp_gw_stats journal part");
static_assert(offsetof(struct fp_gw_stats, reserved) == 496, "fp_gw_stats tail");
static_assert(sizeof(struct fp_gw_stats) == 512, "fp_gw_stats: 8 cache lines, no padding");

/** The gateway. Public so it can be embedded; fields are private to gateway/ (fp_gw_pvt.h). */
struct fp_gw {
	struct fp_gw_cfg cfg;
	int fd;
	uint8_t state;                         /**< enum fp_gw_session_state */
	uint32_t venue_addr;                   /**< IPv4, network order (parsed at init) */
	char session[FP_SOUP_SESSION_LEN + 1]; /**< requested session, copied at init */
	uint32_t mask;                         /**< max_orders - 1 */
	uint32_t nb_free;
	uint32_t *free_list;
	struct fp_hmap urn_map; /**< UserRefNum -> order + 1 (current and pending) */
	struct fp_hmap id_map;  /**< client_order_id -> order + 1 */
	struct fp_gw_order *orders;
	uint64_t now_ns;
	uint64_t last_rx_ns;
	uint64_t next_read_ns; /**< read throttle (cfg.rx_interval_us) */
	uint64_t last_read_ns; /**< the last recv() (stats.rx_gap_max_ns) */
	uint64_t last_tx_ns;
	uint64_t retry_at_ns;
	uint32_t backoff_ms;
	uint32_t tx_len;
	uint8_t *tx; /**< FP_GW_TX_BACKLOG bytes not yet taken by the socket */
	struct fp_soup_rx *rx;
	uint32_t nb_jbuf;        /**< journal records written in place, not yet committed (J3) */
	uint32_t rec_replace;    /**< recovery: slot + 1 of a replace whose old leg ended */
	uint64_t cur_seq;        /**< SoupBinTCP number of the message being applied, else 0 */
	uint8_t rec_session_set; /**< the session requested at login came from the journal */
	struct fp_jrnl_recent rec_recent; /**< J5: the order events handled before a crash */
	/** Per strategy, the ids a venue report may adopt (fp_gw_id_adoptable): open
	 *  addressing on the strategy id; id_marks_full: a strategy found no slot. */
	struct fp_gw_id_mark id_marks[FP_GW_ID_MARKS];
	uint8_t id_marks_full;
	char cfg_session[FP_SOUP_SESSION_LEN + 1];  /**< the configured session */
	char rec_session[FP_SOUP_SESSION_LEN + 1];  /**< recovery: last journaled session */
	char session_name[FP_SOUP_SESSION_LEN + 1]; /**< the venue's, from the last login */
	const struct fp_gw_proto *proto;            /**< the venue protocol adapter (fp_gw_pvt.h) */
	struct fp_gw_fix *fix;                      /**< FIX session state (fp_gw_fix.c), or NULL */
	struct fp_gw_tls *tls;                      /**< TLS context (fp_gw_tls.c), NULL = TCP */
	char last_error[160];   /**< why the last connect or session failed ("" = none); cold */
	uint32_t nb_errors;     /**< times last_error was set (a reader logs each new one) */
	struct fp_gw_stats *st; /**< cfg.stats, or own_st */
	struct fp_gw_stats own_st;
};

/**
 * Fill cfg->username / cfg->password from FP_GW_USER / FP_GW_PASSWORD where empty.
 * @return 0, or -EINVAL when one is still missing or too long (the message names the
 *         variable, never the value).
 */
int fp_gw_credentials_from_env(struct fp_gw_cfg *cfg);

struct fp_cfg;
struct fp_cfg_node;

/**
 * Read the settings of group @p group (cold path; unknown keys refused with their line):
 * host, port, username, session, firm, capacity, max_orders, first_user_ref_num,
 * heartbeat_ms, timeout_ms, backoff_min_ms, backoff_max_ms, and fp_gw_cfg_load_venue()'s.
 * Rings, symbols, the control block and the histogram are the caller's. Credentials left
 * empty are then taken from the environment (fp_gw_credentials_from_env). fp_gw_init()
 * copies the strings: @p c may be freed after it.
 * @return 0, or the negative errno of the first bad setting (fp_err names file and line).
 */
int fp_gw_cfg_load(struct fp_gw_cfg *out, const struct fp_cfg *c, const struct fp_cfg_node *group);

/** The keys fp_gw_cfg_load_venue() reads, for a caller's list of allowed keys. */
#define FP_GW_CFG_VENUE_KEYS                                                                   \
	"protocol", "sender_comp_id", "target_comp_id", "reset_seq_num", "tls", "tls_ca_file", \
		"tls_server_name", "tls_cert_file", "tls_key_file"

/**
 * Read the venue protocol and transport settings of group @p group into @p out: protocol
 * ("ouch50" | "fix44"), sender_comp_id, target_comp_id, reset_seq_num, tls ("on" | "off"),
 * tls_ca_file, tls_server_name, tls_cert_file, tls_key_file (paths relative to the file).
 * A `password` key is refused: credentials come from the environment only (FP_GW_PASSWORD).
 * The strings point into @p c (fp_gw_init() uses them and keeps none). Cold.
 * @return 0, or the negative errno of the first bad setting (fp_err names file and line).
 */
int fp_gw_cfg_load_venue(struct fp_gw_cfg *out, const struct fp_cfg *c,
			 const struct fp_cfg_node *group);

/**
 * Check the config and allocate the order tables (cold path); the first poll connects.
 * Pair with fp_gw_fini().
 * @return 0, -EINVAL (message says which field), -ENOMEM.
 */
int fp_gw_init(struct fp_gw *gw, const struct fp_gw_cfg *cfg);

/**
 * Take up to @p budget order events and send them; then read the venue once and apply up
 * to @p budget messages; heartbeats, timeouts, reconnects, kill switch.
 * @return work done (events + messages), 0 when idle.
 */
unsigned fp_gw_poll(struct fp_gw *gw, unsigned budget);

/** Send Logout, close, free. NULL is a no-op. */
void fp_gw_fini(struct fp_gw *gw);

/** The gateway's counters (cfg.stats when given). Any time after init. */
const struct fp_gw_stats *fp_gw_stats(const struct fp_gw *gw);

/**
 * Check a gw.stats region found in a segment (a reader in another process).
 * @return 0, or -EPROTO (fp_err names the magic or both versions).
 */
int fp_gw_stats_check(const struct fp_gw_stats *st);

/** The order @p client_order_id (open or the last final state kept), NULL if unknown. */
const struct fp_gw_order *fp_gw_find(const struct fp_gw *gw, uint64_t client_order_id);

/** Clear the breaker tripped by a venue disconnect (the control plane decides when). */
void fp_gw_reset_breaker(struct fp_gw *gw);

/**
 * Replay one journal record of the gateway (producer FP_JRNL_SRC_GW) into the order table,
 * the session and the sequence numbers. Cold; after fp_gw_init(), before the first poll;
 * records in journal order. Records it cannot place are counted (nb_recover_unknown).
 * @return 0
 */
int fp_gw_recover_event(struct fp_gw *gw, const struct fp_event *ev);

/** Forget what the replay rebuilt so far (a journal file of a new day starts). Cold. */
void fp_gw_recover_new_day(struct fp_gw *gw);

/** End of the replay: the next login asks for the recovered session and sequence. Cold. */
void fp_gw_recover_done(struct fp_gw *gw);

/**
 * Why the venue session last failed at the transport or session level (TLS verification,
 * a Logout from the venue, ...), one line; "" when nothing failed. Cold: for the stage's
 * log and fastpath-ctl status, never the hot path.
 */
const char *fp_gw_last_error(const struct fp_gw *gw);

/** Transport in words: "tcp", "tls1.3", "tls1.3+ktls" (kernel TLS on send and receive),
 *  "tls1.3+ktls-tx"...; "tls" before the first handshake. */
const char *fp_gw_transport(const struct fp_gw *gw);

/** Name of a gateway reject reason ("killed", ...); NULL for a venue's (below 0x80). */
const char *fp_gw_reject_name(unsigned reason);

/** Name of an order state ("accepted", ...). */
const char *fp_gw_state_str(uint8_t state);

#endif /* FP_GW_H */
