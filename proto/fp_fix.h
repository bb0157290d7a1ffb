/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_fix.h - FIX 4.4 codec (tag=value, FIX 4.4 specification Volume 1 "FIX Message Format
 * and Delivery", Volume 2 session messages): a zero-copy tag parser that checks framing,
 * BodyLength and CheckSum, an encoder that writes a message from a prebuilt header template
 * with the variable fields in place and closes it with BodyLength and CheckSum in one pass,
 * and exact conversions between decimal text and Price(4) (int64, 4 implied decimals, the
 * ITCH/OUCH price used everywhere in fastpath).
 *
 * Who may call: anyone (gateway, simulator, tools, tests). Pure functions over caller
 * buffers: no I/O, no allocation, no locks, no syscalls, no logging; hot-path safe.
 *
 * Limits (checked, each a distinct error): BodyLength at most FP_FIX_MAX_BODY bytes; at most
 * FP_FIX_MAX_FIELDS fields a message; tags 1..999999999 without a leading zero; values not
 * empty. Data fields whose value may hold SOH (RawData 96, XmlData 213, ... with their
 * Length field before them) are not supported: no message fastpath exchanges carries one.
 *
 * Wire order (Volume 1): 8=FIX.4.4 SOH 9=<body length> SOH 35=<type> SOH ... 10=<nnn> SOH.
 * BodyLength counts the bytes after the SOH that ends field 9 up to and including the SOH
 * before 10=; CheckSum is the sum of every byte before "10=" modulo 256, three digits.
 */
#ifndef FP_FIX_H
#define FP_FIX_H

#include <stddef.h>
#include <stdint.h>

#define FP_FIX_SOH        0x01
#define FP_FIX_BEGIN      "8=FIX.4.4\x01"
#define FP_FIX_BEGIN_LEN  10
/** Largest BodyLength accepted (a longer one is refused before anything is read). */
#define FP_FIX_MAX_BODY   4096
/** Most fields of one parsed message. */
#define FP_FIX_MAX_FIELDS 96
/** Bytes an encoder keeps in front of the body for "8=FIX.4.4|9=nnnn|". */
#define FP_FIX_HDR_ROOM   (FP_FIX_BEGIN_LEN + 2 + 4 + 1)
/** Bytes of the trailer "10=nnn|". */
#define FP_FIX_TRAILER    7
/** Bytes of a UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss */
#define FP_FIX_UTC_LEN    21

/** Tags fastpath reads or writes (Volume 6 data dictionary numbers). */
enum fp_fix_tag {
	FP_FIX_TAG_ACCOUNT = 1,
	FP_FIX_TAG_AVG_PX = 6,
	FP_FIX_TAG_BEGIN_SEQ_NO = 7,
	FP_FIX_TAG_BEGIN_STRING = 8,
	FP_FIX_TAG_BODY_LENGTH = 9,
	FP_FIX_TAG_CHECKSUM = 10,
	FP_FIX_TAG_CL_ORD_ID = 11,
	FP_FIX_TAG_CUM_QTY = 14,
	FP_FIX_TAG_END_SEQ_NO = 16,
	FP_FIX_TAG_EXEC_ID = 17,
	FP_FIX_TAG_HANDL_INST = 21,
	FP_FIX_TAG_LAST_PX = 31,
	FP_FIX_TAG_LAST_QTY = 32,
	FP_FIX_TAG_MSG_SEQ_NUM = 34,
	FP_FIX_TAG_MSG_TYPE = 35,
	FP_FIX_TAG_NEW_SEQ_NO = 36,
	FP_FIX_TAG_ORDER_ID = 37,
	FP_FIX_TAG_ORDER_QTY = 38,
	FP_FIX_TAG_ORD_STATUS = 39,
	FP_FIX_TAG_ORD_TYPE = 40,
	FP_FIX_TAG_ORIG_CL_ORD_ID = 41,
	FP_FIX_TAG_POSS_DUP_FLAG = 43,
	FP_FIX_TAG_PRICE = 44,
	FP_FIX_TAG_REF_SEQ_NUM = 45,
	FP_FIX_TAG_SENDER_COMP_ID = 49,
	FP_FIX_TAG_SENDING_TIME = 52,
	FP_FIX_TAG_SIDE = 54,
	FP_FIX_TAG_SYMBOL = 55,
	FP_FIX_TAG_TARGET_COMP_ID = 56,
	FP_FIX_TAG_TEXT = 58,
	FP_FIX_TAG_TIME_IN_FORCE = 59,
	FP_FIX_TAG_TRANSACT_TIME = 60,
	FP_FIX_TAG_ENCRYPT_METHOD = 98,
	FP_FIX_TAG_HEART_BT_INT = 108,
	FP_FIX_TAG_TEST_REQ_ID = 112,
	FP_FIX_TAG_ORIG_SENDING_TIME = 122,
	FP_FIX_TAG_GAP_FILL_FLAG = 123,
	FP_FIX_TAG_RESET_SEQ_NUM_FLAG = 141,
	FP_FIX_TAG_EXEC_TYPE = 150,
	FP_FIX_TAG_LEAVES_QTY = 151,
	FP_FIX_TAG_REF_TAG_ID = 371,
	FP_FIX_TAG_REF_MSG_TYPE = 372,
	FP_FIX_TAG_SESSION_REJECT_REASON = 373,
	FP_FIX_TAG_BUSINESS_REJECT_REASON = 380,
	FP_FIX_TAG_CXL_REJ_RESPONSE_TO = 434,
};

/** Result of the codec. Errors are negative. */
enum fp_fix_rc {
	FP_FIX_OK = 0,
	FP_FIX_NEED_MORE = 1,          /**< not a whole message yet: read more bytes */
	FP_FIX_ERR_BEGIN = -1,         /**< does not start with 8=FIX.4.4 SOH */
	FP_FIX_ERR_BODY_LENGTH = -2,   /**< 9= missing, not a number, or above FP_FIX_MAX_BODY */
	FP_FIX_ERR_CHECKSUM = -3,      /**< 10= missing, misplaced or not the sum of the bytes */
	FP_FIX_ERR_TAG = -4,           /**< a tag that is not 1..999999999 digits, or no '=' */
	FP_FIX_ERR_VALUE = -5,         /**< an empty value */
	FP_FIX_ERR_TOO_MANY = -6,      /**< more than FP_FIX_MAX_FIELDS fields */
	FP_FIX_ERR_MSG_TYPE = -7,      /**< the first body field is not 35 */
	FP_FIX_ERR_NOSPACE = -8,       /**< encoder: the buffer is too small */
	FP_FIX_ERR_NUMBER = -9,        /**< not a number, or out of range */
	FP_FIX_ERR_PRICE_INEXACT = -10 /**< a price with a non-zero 5th decimal or beyond */
};

/** One field of a parsed message: its value is msg->buf[off .. off + len). */
struct fp_fix_field {
	uint32_t tag;
	uint16_t off;
	uint16_t len;
};

/** A parsed message: views into the caller's buffer (valid while it is). */
struct fp_fix_msg {
	const uint8_t *buf; /**< the message's first byte ('8') */
	uint32_t len;       /**< bytes of the whole message, trailer included */
	uint32_t nb_fields; /**< body fields, 35 first, 10 excluded */
	uint64_t seq_num;   /**< 34, 0 when absent */
	char msg_type[3];   /**< 35, NUL-terminated (one or two characters) */
	uint8_t poss_dup;   /**< 43=Y */
	struct fp_fix_field f[FP_FIX_MAX_FIELDS];
};

/**
 * Frame and parse the message at @p buf (@p len bytes available): BeginString, BodyLength,
 * CheckSum, every tag=value of the body, without copying. On FP_FIX_OK, msg->len bytes
 * were one message (the next starts there).
 * @return FP_FIX_OK, FP_FIX_NEED_MORE (nothing wrong yet), or a negative enum fp_fix_rc.
 */
enum fp_fix_rc fp_fix_parse(const uint8_t *buf, size_t len, struct fp_fix_msg *msg);

/** The first field @p tag of @p msg, or NULL. */
const struct fp_fix_field *fp_fix_find(const struct fp_fix_msg *msg, uint32_t tag);

/** Value of field @p tag as an unsigned integer. @return 0, -1 absent, FP_FIX_ERR_NUMBER. */
int fp_fix_get_u64(const struct fp_fix_msg *msg, uint32_t tag, uint64_t *out);

/** Value of field @p tag as Price(4), exactly. @return 0, -1 absent, or a negative rc. */
int fp_fix_get_price(const struct fp_fix_msg *msg, uint32_t tag, int64_t *out);

/** Value of field @p tag: pointer into the message and its length; NULL when absent. */
const char *fp_fix_get_str(const struct fp_fix_msg *msg, uint32_t tag, size_t *len);

/**
 * Decimal text ("150.25", "-0.0001", "7") to Price(4), exactly: at most 4 significant
 * decimals (trailing zeros beyond are fine), an optional '-', no exponent, no spaces.
 * @return FP_FIX_OK, FP_FIX_ERR_NUMBER, FP_FIX_ERR_PRICE_INEXACT.
 */
enum fp_fix_rc fp_fix_price_from_text(const char *s, size_t n, int64_t *px4);

/** Price(4) to the shortest exact decimal text ("150.25", "7", "-0.0001"); no NUL.
 *  @p out needs 22 bytes. @return bytes written. */
size_t fp_fix_price_to_text(char *out, int64_t px4);

/**
 * A prebuilt header: "35=<type> SOH 49=<sender> SOH 56=<target> SOH 34=" for one message
 * type of one session, written once (cold) and copied in front of every message.
 */
struct fp_fix_tmpl {
	uint16_t len;
	uint8_t b[94];
};

/** Build @p t. @return 0, or FP_FIX_ERR_NOSPACE when the ids are too long (> 32 each). */
int fp_fix_tmpl_init(struct fp_fix_tmpl *t, const char *msg_type, const char *sender,
		     const char *target);

/** An encoder over a caller buffer; fields are appended in place. */
struct fp_fix_writer {
	uint8_t *buf; /**< the caller's buffer; the message ends up inside it */
	uint8_t *p;   /**< next byte of the body */
	uint8_t *end;
	int err; /**< sticky: the first error of a put */
};

/**
 * Start a message in @p buf (@p cap bytes): body from the template, MsgSeqNum @p seq and
 * SendingTime @p sending_time_ns (UTC, ns since the epoch; written with milliseconds).
 */
void fp_fix_begin(struct fp_fix_writer *w, uint8_t *buf, size_t cap, const struct fp_fix_tmpl *t,
		  uint64_t seq, uint64_t sending_time_ns);

void fp_fix_put_str(struct fp_fix_writer *w, uint32_t tag, const char *s, size_t n);
void fp_fix_put_char(struct fp_fix_writer *w, uint32_t tag, char c);
void fp_fix_put_u64(struct fp_fix_writer *w, uint32_t tag, uint64_t v);
void fp_fix_put_price(struct fp_fix_writer *w, uint32_t tag, int64_t px4);
/** A UTCTimestamp with milliseconds (YYYYMMDD-HH:MM:SS.sss) of @p ns since the epoch. */
void fp_fix_put_utc(struct fp_fix_writer *w, uint32_t tag, uint64_t ns);

/**
 * Close the message: BodyLength written right before the body, then the CheckSum of every
 * byte (one pass). *@p msg = its first byte (inside the writer's buffer).
 * @return its length, or a negative enum fp_fix_rc (FP_FIX_ERR_NOSPACE).
 */
int fp_fix_finish(struct fp_fix_writer *w, const uint8_t **msg);

/** A NewOrderSingle (35=D): limit order, HandlInst 1. Strings are NUL-terminated. */
struct fp_fix_new_order {
	const char *cl_ord_id; /**< 11 */
	const char *symbol;    /**< 55, ticker */
	const char *account;   /**< 1, NULL = none */
	int64_t price;         /**< 44, Price(4) */
	uint64_t transact_ns;  /**< 60 */
	uint32_t qty;          /**< 38 */
	char side;             /**< 54: '1' buy, '2' sell, '5' sell short, '6' short exempt */
	char time_in_force;    /**< 59: '0' day, '3' IOC, ... */
};

/** Append the body of @p o (after fp_fix_begin with a "D" template). */
void fp_fix_put_new_order(struct fp_fix_writer *w, const struct fp_fix_new_order *o);

/** Name of a result code. */
const char *fp_fix_rc_str(int rc);

#endif /* FP_FIX_H */
