-- SPDX-License-Identifier: BSD-3-Clause
-- 002_firm: many instances, one firm. The firm-wide view over the loaded journals of every
-- instance, and the firm's control channel: the kill switch and the gross-exposure budgets
-- (docs/scale.md). Applied like 001 by `fastpath-ctl journal load|migrate` and by every
-- `fastpath-ctl firm` command.
--
-- "Today" of an instance is its newest journal file (one file per trading day): the views
-- below read that file of each instance. Amounts in price units as in 001 (10000 = $1).

-- ---- the firm-wide view ----

-- The newest journal file of each instance.
CREATE VIEW firm_files AS
SELECT DISTINCT ON (instance) instance, file_created_ns, day
FROM journal_files ORDER BY instance, file_created_ns DESC;

-- The last snapshot of each (instance, strategy, symbol) today.
CREATE VIEW firm_positions AS
SELECT DISTINCT ON (p.instance, p.strategy_id, p.symbol_id)
	p.instance, p.strategy_id, p.symbol_id, p.stock, p.position, p.cost, p.realized,
	p.unreal, p.mark, p.time
FROM positions p JOIN firm_files f USING (instance, file_created_ns)
ORDER BY p.instance, p.strategy_id, p.symbol_id, p.seq DESC;

-- Exposure and P&L per instance: gross = sum of |cost basis| (positions at cost, as risk
-- counts it), net = sum of cost basis.
CREATE VIEW firm_exposure_instance AS
SELECT instance, sum(position) AS position, sum(abs(cost)) AS gross, sum(cost) AS net,
	sum(realized) AS realized, sum(unreal) AS unreal, sum(realized + unreal) AS pnl,
	max(time) AS as_of
FROM firm_positions GROUP BY instance;

-- ... per symbol across the instances.
CREATE VIEW firm_exposure_symbol AS
SELECT symbol_id, max(stock) AS stock, sum(position) AS position, sum(abs(cost)) AS gross,
	sum(cost) AS net, sum(realized) AS realized, sum(unreal) AS unreal,
	count(DISTINCT instance) AS instances
FROM firm_positions GROUP BY symbol_id;

-- ... firm-wide (one row).
CREATE VIEW firm_exposure AS
SELECT count(*) AS instances, coalesce(sum(position), 0) AS position,
	coalesce(sum(gross), 0) AS gross, coalesce(sum(net), 0) AS net,
	coalesce(sum(realized), 0) AS realized, coalesce(sum(unreal), 0) AS unreal,
	coalesce(sum(pnl), 0) AS pnl
FROM firm_exposure_instance;

-- Activity per instance today: what each instance's own report counts (orders: the orders
-- risk passed to the gateway, the report's "orders"; orders_sent: the messages the gateway
-- handed to the venue).
CREATE VIEW firm_activity AS
SELECT f.instance,
	(SELECT count(*) FROM orders o WHERE o.instance = f.instance
		AND o.file_created_ns = f.file_created_ns AND o.producer = 'risk') AS orders,
	(SELECT count(*) FROM orders o WHERE o.instance = f.instance
		AND o.file_created_ns = f.file_created_ns AND o.producer = 'gw') AS orders_sent,
	(SELECT count(*) FROM executions x WHERE x.instance = f.instance
		AND x.file_created_ns = f.file_created_ns AND x.kind = 'fill') AS fills,
	(SELECT coalesce(sum(shares), 0) FROM executions x WHERE x.instance = f.instance
		AND x.file_created_ns = f.file_created_ns AND x.kind = 'fill') AS filled_shares,
	(SELECT count(*) FROM risk_events r WHERE r.instance = f.instance
		AND r.file_created_ns = f.file_created_ns AND r.kind = 'reject') AS risk_rejects
FROM firm_files f;

-- Orders open today: sent new orders with no report that closed them (canceled, rejected,
-- or done: leaves 0) and not replaced by a later order.
CREATE VIEW firm_open_orders AS
SELECT o.instance, o.coid, o.strategy_id, o.symbol_id, o.side, o.qty, o.price, o.time
FROM orders o JOIN firm_files f USING (instance, file_created_ns)
WHERE o.producer = 'gw' AND o.kind IN ('new', 'replace')
  AND NOT EXISTS (SELECT 1 FROM executions x
	WHERE x.instance = o.instance AND x.file_created_ns = o.file_created_ns
	  AND x.coid = o.coid AND x.leaves = 0
	  AND x.kind IN ('fill', 'canceled', 'rejected'))
  AND NOT EXISTS (SELECT 1 FROM orders r
	WHERE r.instance = o.instance AND r.file_created_ns = o.file_created_ns
	  AND r.producer = 'gw' AND r.kind = 'replace' AND r.orig_coid = o.coid);

-- The latest risk events of every instance (the newest first: LIMIT it).
CREATE VIEW firm_risk_events AS
SELECT r.instance, r.time, r.kind, r.reason_name, r.strategy_id, r.symbol_id, r.coid,
	r.value, r.text
FROM risk_events r JOIN firm_files f USING (instance, file_created_ns)
ORDER BY r.time DESC, r.seq DESC;

-- ---- the firm's control channel (LISTEN fp_firm) ----

-- Every firm kill and unkill: who, when, why. The newest row is the firm's state.
CREATE TABLE firm_actions (
	id      bigserial   PRIMARY KEY,
	action  text        NOT NULL CHECK (action IN ('kill', 'unkill')),
	who     text        NOT NULL,        -- "ctl:alice@host1"
	reason  text        NOT NULL,
	at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The instances that listen (`fastpath-ctl firm listen`), their acknowledgements and budgets.
CREATE TABLE firm_instances (
	instance       text        PRIMARY KEY,
	host           text        NOT NULL DEFAULT '',
	listener_pid   integer     NOT NULL DEFAULT 0,
	started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
	last_seen      timestamptz NOT NULL DEFAULT clock_timestamp(), -- the listener's heartbeat
	acked_action   bigint      NOT NULL DEFAULT 0,   -- the newest firm_actions.id applied
	acked_at       timestamptz,
	killed         boolean     NOT NULL DEFAULT false, -- its kill switch after that
	note           text        NOT NULL DEFAULT '',    -- why it is killed, when not by the firm
	gross_budget   bigint      NOT NULL DEFAULT 0 CHECK (gross_budget >= 0),
	applied_budget bigint      CHECK (applied_budget >= 0), -- what its risk enforces now
	applied_at     timestamptz
);

-- The firm's gross-exposure limit (one row; none: no firm budgets, instances unbounded by it).
CREATE TABLE firm_limits (
	one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
	max_gross  bigint      NOT NULL CHECK (max_gross >= 0),
	updated_by text        NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The sum rule: what every instance may enforce, counting a budget not yet applied and a
-- larger one still applied (greatest of the two), never exceeds the firm's limit. A budget is
-- moved from A to B by lowering A, waiting for A's acknowledgement, then raising B.
CREATE FUNCTION firm_budget_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	lim bigint;
	total bigint;
BEGIN
	SELECT max_gross INTO lim FROM firm_limits;
	IF lim IS NOT NULL THEN
		SELECT coalesce(sum(greatest(gross_budget, coalesce(applied_budget, 0))), 0)
			INTO total FROM firm_instances;
		IF total > lim THEN
			RAISE EXCEPTION 'firm budgets would total % (counting budgets not yet applied) above the firm gross limit %', total, lim
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER firm_instances_budget AFTER INSERT OR UPDATE ON firm_instances
	FOR EACH STATEMENT EXECUTE FUNCTION firm_budget_check();
CREATE TRIGGER firm_limits_budget AFTER INSERT OR UPDATE ON firm_limits
	FOR EACH STATEMENT EXECUTE FUNCTION firm_budget_check();

-- A budget or the firm limit changed: the listeners read theirs again.
CREATE FUNCTION firm_budget_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('fp_firm', 'budget');
	RETURN NULL;
END $$;
CREATE TRIGGER firm_instances_notify AFTER INSERT OR UPDATE OF gross_budget ON firm_instances
	FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION firm_budget_notify();
CREATE TRIGGER firm_limits_notify AFTER INSERT OR UPDATE OR DELETE ON firm_limits
	FOR EACH STATEMENT EXECUTE FUNCTION firm_budget_notify();
