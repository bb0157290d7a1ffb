-- SPDX-License-Identifier: BSD-3-Clause
-- 001_init: the audit trail of fastpath journals (shm/fp_journal.h) in PostgreSQL.
--
-- Applied by `fastpath-ctl journal load|migrate` (store/fp_store_pg.c) inside one transaction,
-- recorded in schema_migrations. Every journal record becomes exactly one row of exactly one
-- table below, keyed by (instance, file_created_ns, seq): the journal file (its instance and
-- the creation time in its header) and the record's sequence in it. A record loaded twice is
-- stored once (INSERT ... ON CONFLICT DO NOTHING).
--
-- Units as in the journal: prices are bigint with 4 decimals (873900 = 87.3900), money
-- (cost, realized, unreal, gross, net) in the same price units x shares, quantities in shares.
-- `time` of ring events is the wall clock of the last timed record before them in the file
-- (file creation, store start, snapshots, control changes): ring events carry only a TSC
-- stamp (t_rx). Order by seq within a file for the exact order.

CREATE TABLE journal_files (
	instance        text   NOT NULL,
	file_created_ns bigint NOT NULL, -- journal header: creation time, ns since the epoch
	day             date   NOT NULL, -- UTC day of the file (one file per trading day)
	path            text   NOT NULL, -- where the loader first read it
	first_loaded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, file_created_ns)
);

-- How far the loader got in each file: it resumes after last_seq (at last_offset).
CREATE TABLE load_progress (
	instance        text   NOT NULL,
	file_created_ns bigint NOT NULL,
	last_seq        bigint NOT NULL, -- last journal sequence stored
	last_offset     bigint NOT NULL, -- file offset just after that record
	last_time_ns    bigint NOT NULL, -- carried `time` at that point
	records         bigint NOT NULL DEFAULT 0, -- records stored by the loader (new rows)
	updated_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, file_created_ns),
	FOREIGN KEY (instance, file_created_ns) REFERENCES journal_files
);

-- Order messages: the gateway's (about to be sent, producer 'gw') and risk's (accepted and
-- forwarded to the gateway, producer 'risk'). One row per message.
CREATE TABLE orders (
	instance        text     NOT NULL,
	file_created_ns bigint   NOT NULL,
	seq             bigint   NOT NULL,
	time            timestamptz NOT NULL,
	producer        text     NOT NULL, -- 'gw' | 'risk'
	kind            text     NOT NULL, -- 'new' | 'cancel' | 'replace' | 'mass_cancel'
	coid            bigint   NOT NULL, -- client order id
	orig_coid       bigint   NOT NULL, -- cancel/replace: the order it applies to (else 0)
	strategy_id     integer  NOT NULL,
	symbol_id       bigint   NOT NULL, -- ITCH stock locate
	side            text     NOT NULL, -- 'B' 'S' 'T' 'E'
	qty             bigint   NOT NULL, -- new/replace: size; cancel: shares to leave open
	price           bigint   NOT NULL,
	tif             text     NOT NULL, -- 'day' | 'ioc' | 'gtx' | number
	urn             bigint,            -- gw new/replace: the OUCH UserRefNum; else NULL
	ev_seq          bigint   NOT NULL, -- the event's seq (producer's own, or the URN)
	source          integer  NOT NULL,
	flags           integer  NOT NULL,
	t_rx            bigint   NOT NULL, -- TSC at packet receive (tick-to-trade origin)
	t_decide        bigint   NOT NULL, -- TSC at the strategy's decision
	PRIMARY KEY (instance, file_created_ns, seq)
);
CREATE INDEX orders_symbol_time ON orders (symbol_id, time);
CREATE INDEX orders_strategy_time ON orders (strategy_id, time);
CREATE INDEX orders_coid ON orders (coid);

-- Venue messages the gateway applied (and its own local rejects).
CREATE TABLE executions (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL,
	kind            text    NOT NULL, -- 'accepted' 'fill' 'canceled' 'rejected' 'replaced'
					  -- 'cancel_reject'
	coid            bigint  NOT NULL,
	strategy_id     integer NOT NULL,
	symbol_id       bigint  NOT NULL,
	side            text    NOT NULL,
	shares          bigint  NOT NULL, -- filled / accepted / canceled shares of this report
	price           bigint  NOT NULL, -- fill price, or the accepted limit
	leaves          bigint  NOT NULL, -- still open after this report
	match_number    bigint  NOT NULL, -- fill: match number; else the venue order reference
	soup_seq        bigint,           -- SoupBinTCP sequence number; NULL for a local reject
	reason          text,             -- venue reject/cancel reason as on the wire; else NULL
	replay          boolean NOT NULL, -- recovered by venue replay (FP_EVF_REPLAY)
	flags           integer NOT NULL,
	t_rx            bigint  NOT NULL,
	PRIMARY KEY (instance, file_created_ns, seq)
);
CREATE INDEX executions_symbol_time ON executions (symbol_id, time);
CREATE INDEX executions_strategy_time ON executions (strategy_id, time);
CREATE INDEX executions_coid ON executions (coid);

-- Risk's decisions that are not orders: rejected intents and circuit breaker transitions.
CREATE TABLE risk_events (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL,
	kind            text    NOT NULL, -- 'reject' | 'breaker_trip' | 'breaker_reset'
	coid            bigint,           -- reject: the refused intent
	strategy_id     integer,
	symbol_id       bigint  NOT NULL,
	side            text,
	qty             bigint,
	price           bigint,
	order_kind      text,             -- reject: 'new' 'cancel' 'replace' 'mass_cancel'
	reason          integer NOT NULL, -- reject: enum fp_risk_reason; breaker: enum fp_risk_trip
	reason_name     text,             -- its name when the loader knows it
	value           bigint,           -- breaker: the figure that tripped it
	text            text,             -- breaker: why
	PRIMARY KEY (instance, file_created_ns, seq)
);
CREATE INDEX risk_events_symbol_time ON risk_events (symbol_id, time);
CREATE INDEX risk_events_strategy_time ON risk_events (strategy_id, time);
CREATE INDEX risk_events_coid ON risk_events (coid);

-- Control block changes (struct fp_shm_ctl_change): kill, rearm, trading state, limits.
CREATE TABLE control_actions (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL, -- exact: the change's own CLOCK_REALTIME
	change_seq      bigint  NOT NULL,     -- the control block's change counter
	what            text    NOT NULL,     -- 'kill' 'rearm' 'trading' 'limits' | number
	old_value       bigint  NOT NULL,
	new_value       bigint  NOT NULL,
	who             text    NOT NULL,     -- "ctl:alice", "risk:max_loss", "supervisor"
	reason          text    NOT NULL,
	pid             integer NOT NULL,
	tsc             bigint  NOT NULL,
	PRIMARY KEY (instance, file_created_ns, seq)
);
CREATE INDEX control_actions_time ON control_actions (time);

-- Venue logins of the gateway.
CREATE TABLE sessions (
	instance        text   NOT NULL,
	file_created_ns bigint NOT NULL,
	seq             bigint NOT NULL,
	time            timestamptz NOT NULL,
	session         text   NOT NULL, -- SoupBinTCP session (trailing spaces removed)
	requested_seq   bigint NOT NULL, -- sequence number requested at login
	source          integer NOT NULL,
	PRIMARY KEY (instance, file_created_ns, seq)
);

-- Position snapshots of (strategy, symbol), copied by the store from risk's positions.
CREATE TABLE positions (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL, -- exact: the snapshot's time
	strategy_id     integer NOT NULL,
	symbol_id       bigint  NOT NULL,
	stock           text    NOT NULL,     -- '' when unknown
	position        bigint  NOT NULL,     -- shares, long > 0
	cost            bigint  NOT NULL,
	realized        bigint  NOT NULL,
	unreal          bigint  NOT NULL,
	mark            bigint  NOT NULL,
	PRIMARY KEY (instance, file_created_ns, seq)
);
CREATE INDEX positions_symbol_time ON positions (symbol_id, time);
CREATE INDEX positions_strategy_time ON positions (strategy_id, time);

-- P&L snapshots, firm (strategy_id NULL) and per strategy.
CREATE TABLE pnl_snapshots (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL,
	strategy_id     integer,              -- NULL: the firm line
	nb_fills        bigint  NOT NULL,
	realized        bigint  NOT NULL,
	unreal          bigint  NOT NULL,
	gross           bigint  NOT NULL,
	net             bigint  NOT NULL,
	fill_shares     bigint  NOT NULL,
	PRIMARY KEY (instance, file_created_ns, seq)
);
CREATE INDEX pnl_snapshots_strategy_time ON pnl_snapshots (strategy_id, time);

-- The store (re)started on a file.
CREATE TABLE store_starts (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL,
	pid             integer NOT NULL,
	version         integer NOT NULL,
	records         bigint  NOT NULL, -- records already in the file then
	PRIMARY KEY (instance, file_created_ns, seq)
);

-- Anything else (other control events, types of a newer journal version, odd lengths):
-- kept whole so that nothing in a journal is lost.
CREATE TABLE other_records (
	instance        text    NOT NULL,
	file_created_ns bigint  NOT NULL,
	seq             bigint  NOT NULL,
	time            timestamptz NOT NULL,
	type            integer NOT NULL, -- journal record type
	producer        integer NOT NULL, -- journal record flags (enum fp_jrnl_src)
	payload         bytea   NOT NULL,
	PRIMARY KEY (instance, file_created_ns, seq)
);

-- The orders that left: what the gateway handed to send().
CREATE VIEW orders_sent AS SELECT * FROM orders WHERE producer = 'gw';

-- End-of-day positions: per instance, day, strategy and symbol, the last snapshot of the day.
CREATE VIEW positions_eod AS
SELECT DISTINCT ON (p.instance, f.day, p.strategy_id, p.symbol_id)
	p.instance, f.day, p.strategy_id, p.symbol_id, p.stock, p.position, p.cost,
	p.realized, p.unreal, p.mark, p.time
FROM positions p JOIN journal_files f USING (instance, file_created_ns)
ORDER BY p.instance, f.day, p.strategy_id, p.symbol_id, p.time DESC, p.seq DESC;

-- Rows per journal file and table: the loader's own count, to compare with the journal.
CREATE VIEW journal_counts AS
SELECT instance, file_created_ns, 'orders' AS tbl, count(*) AS nb FROM orders GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'executions', count(*) FROM executions GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'risk_events', count(*) FROM risk_events GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'control_actions', count(*) FROM control_actions
	GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'sessions', count(*) FROM sessions GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'positions', count(*) FROM positions GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'pnl_snapshots', count(*) FROM pnl_snapshots
	GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'store_starts', count(*) FROM store_starts
	GROUP BY 1, 2
UNION ALL SELECT instance, file_created_ns, 'other_records', count(*) FROM other_records
	GROUP BY 1, 2;
