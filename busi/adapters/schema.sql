-- The project schema. Applied by `python -m busi setup` (local stack) and by MariaDB's
-- /docker-entrypoint-initdb.d (docker-compose.yml). Idempotent. MariaDB's SQL: its IF NOT
-- EXISTS and OR REPLACE forms; DELIMITER as the mysql client reads it (busi/server/setup.py too).
CREATE DATABASE IF NOT EXISTS flash_sale DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE IF NOT EXISTS flash_sale.orders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  gid VARCHAR(128) NOT NULL COMMENT 'the DTM global transaction that created it',
  user_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  amount INT NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'created',
  create_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uk_gid (gid),
  KEY idx_product (product_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
-- expires_at: when an order still `created` is handed to its expiry saga (busi/domain/expiry.py);
-- NULL in the other strategies' tables. Added here, not above, so that a database made
-- before it gets it too.
ALTER TABLE flash_sale.orders
  ADD COLUMN IF NOT EXISTS expires_at DATETIME(3) NULL,
  ADD KEY IF NOT EXISTS idx_awaiting_payment (status, expires_at);

-- DTM's sub-transaction barrier table, as DTM defines it (sqls/dtmcli.barrier.mysql.sql).
CREATE DATABASE IF NOT EXISTS dtm_barrier DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE IF NOT EXISTS dtm_barrier.barrier (
  id BIGINT(22) PRIMARY KEY AUTO_INCREMENT,
  trans_type VARCHAR(45) DEFAULT '',
  gid VARCHAR(128) DEFAULT '',
  branch_id VARCHAR(128) DEFAULT '',
  op VARCHAR(45) DEFAULT '',
  barrier_id VARCHAR(45) DEFAULT '',
  reason VARCHAR(45) DEFAULT '' COMMENT 'the branch type who insert this record',
  create_time DATETIME DEFAULT NOW(),
  update_time DATETIME DEFAULT NOW(),
  KEY (create_time),
  KEY (update_time),
  UNIQUE KEY (gid, branch_id, op, barrier_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The comparison strategies' own stock and orders (busi/domain/strategies): one table each, so that
-- a run of one strategy cannot disturb another. naive and rowlock use `available` as their
-- quantity, and reserve moves a unit from available to reserved (stored = available + reserved).
CREATE TABLE IF NOT EXISTS flash_sale.rowlock_stock (
  product_id BIGINT PRIMARY KEY,
  stored INT NOT NULL,
  reserved INT NOT NULL DEFAULT 0,
  available INT NOT NULL
) ENGINE = InnoDB;
CREATE TABLE IF NOT EXISTS flash_sale.naive_stock LIKE flash_sale.rowlock_stock;
CREATE TABLE IF NOT EXISTS flash_sale.reserve_stock LIKE flash_sale.rowlock_stock;
CREATE TABLE IF NOT EXISTS flash_sale.naive_orders LIKE flash_sale.orders;
CREATE TABLE IF NOT EXISTS flash_sale.rowlock_orders LIKE flash_sale.orders;
CREATE TABLE IF NOT EXISTS flash_sale.reserve_orders LIKE flash_sale.orders;
CREATE TABLE IF NOT EXISTS flash_sale.twostores_orders LIKE flash_sale.orders;
CREATE TABLE IF NOT EXISTS flash_sale.procedure_stock LIKE flash_sale.rowlock_stock;
CREATE TABLE IF NOT EXISTS flash_sale.procedure_orders LIKE flash_sale.orders;
-- A limit per buyer (NULL: none) on each stock row, and the index a buyer's units are summed
-- by: added to each table here, so that tables made before them get them too.
ALTER TABLE flash_sale.rowlock_stock ADD COLUMN IF NOT EXISTS limit_per_buyer INT NULL;
ALTER TABLE flash_sale.naive_stock ADD COLUMN IF NOT EXISTS limit_per_buyer INT NULL;
ALTER TABLE flash_sale.reserve_stock ADD COLUMN IF NOT EXISTS limit_per_buyer INT NULL;
ALTER TABLE flash_sale.procedure_stock ADD COLUMN IF NOT EXISTS limit_per_buyer INT NULL;
ALTER TABLE flash_sale.rowlock_orders ADD KEY IF NOT EXISTS idx_buyer (product_id, user_id);
ALTER TABLE flash_sale.reserve_orders ADD KEY IF NOT EXISTS idx_buyer (product_id, user_id);
ALTER TABLE flash_sale.procedure_orders ADD KEY IF NOT EXISTS idx_buyer (product_id, user_id);

-- The procedure strategy's purchase (busi/domain/strategies/procedure.py): reserve's UPDATE and
-- INSERT and the COMMIT in one CALL, one round trip. Its answer: 'bought', 'sold out', 'over limit'
-- (the buyer's units would pass the product's limit_per_buyer) or 'unknown'.
DROP PROCEDURE IF EXISTS flash_sale.purchase_one;
DELIMITER //
CREATE OR REPLACE PROCEDURE flash_sale.purchase_units(
  IN in_product BIGINT, IN in_user BIGINT, IN in_gid VARCHAR(128), IN in_quantity INT)
MODIFIES SQL DATA
BEGIN
  DECLARE v_limit INT DEFAULT NULL;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  UPDATE flash_sale.procedure_stock SET available = available - in_quantity, reserved = reserved + in_quantity
    WHERE product_id = in_product AND available >= in_quantity;
  IF ROW_COUNT() = 1 THEN
    -- Under the row's lock: every order of the product committed before is seen, none can come.
    SELECT limit_per_buyer INTO v_limit FROM flash_sale.procedure_stock WHERE product_id = in_product;
    IF v_limit IS NOT NULL AND in_quantity + (SELECT COALESCE(SUM(amount), 0) FROM flash_sale.procedure_orders
        WHERE product_id = in_product AND user_id = in_user AND status <> 'cancelled') > v_limit THEN
      ROLLBACK;
      SELECT 'over limit' AS outcome;
    ELSE
      INSERT INTO flash_sale.procedure_orders (gid, user_id, product_id, amount, status)
        VALUES (in_gid, in_user, in_product, in_quantity, 'created');
      COMMIT;
      SELECT 'bought' AS outcome;
    END IF;
  ELSE
    ROLLBACK;
    SELECT IF(EXISTS (SELECT 1 FROM flash_sale.procedure_stock WHERE product_id = in_product), 'sold out', 'unknown')
      AS outcome;
  END IF;
END //
DELIMITER ;

-- The catalogue: name and price of each product (its stock stays in Redis, {pN}-stock).
-- pay_within_s: this product's payment window; NULL means PAY_WITHIN_S (busi/config.py).
CREATE TABLE IF NOT EXISTS flash_sale.products (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  price DECIMAL(12,2) NOT NULL,
  pay_within_s INT NULL,
  create_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One wallet per buyer, made on its first charge with the opening balance below.
CREATE TABLE IF NOT EXISTS flash_sale.wallets (
  user_id BIGINT PRIMARY KEY,
  balance DECIMAL(14,2) NOT NULL
) ENGINE = InnoDB;

-- The balance every new wallet opens with (one row, id 1), set by the demo's reset.
CREATE TABLE IF NOT EXISTS flash_sale.wallet_opening (
  id TINYINT PRIMARY KEY,
  balance DECIMAL(14,2) NOT NULL
) ENGINE = InnoDB;
INSERT IGNORE INTO flash_sale.wallet_opening (id, balance) VALUES (1, 100.00);
