-- MLflow tracking schema at alembic revision 451aebb31d03 (April 2019, MLflow
-- 1.0: the first migration), as MLflow creates it on MySQL and MariaDB.
-- Sources (github.com/mlflow/mlflow): mlflow/store/tracking/dbmodels/initial_models.py
-- (the MLflow 0.9.1 schema every migration starts from: experiments, runs,
-- tags, metrics, params) plus mlflow/store/db_migrations/versions/
-- 451aebb31d03_add_metric_step.py (metrics.step BIGINT NOT NULL DEFAULT 0,
-- metric_pk becomes key, timestamp, step, run_uuid, value). No is_nan, no
-- experiment_tags, no creation times, no datasets: later revisions add them.
-- SQLAlchemy's MySQL renderings: Float → FLOAT, which MySQL keeps in single
-- precision (181f10493468 later made it DOUBLE); KEY is reserved, so `key`.
-- experiment_id is BIGINT as 6dca653c92e6 (2022) made it, not 2019's INTEGER,
-- so the sample's 18-digit ids fit.
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version VALUES ('451aebb31d03');

CREATE TABLE experiments (
	experiment_id BIGINT NOT NULL AUTO_INCREMENT,
	name VARCHAR(256) NOT NULL,
	artifact_location VARCHAR(256),
	lifecycle_stage VARCHAR(32),
	CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
	CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
	UNIQUE (name)
);

CREATE TABLE runs (
	run_uuid VARCHAR(32) NOT NULL,
	name VARCHAR(250),
	source_type VARCHAR(20),
	source_name VARCHAR(500),
	entry_point_name VARCHAR(50),
	user_id VARCHAR(256),
	status VARCHAR(20),
	start_time BIGINT,
	end_time BIGINT,
	source_version VARCHAR(50),
	lifecycle_stage VARCHAR(20),
	artifact_uri VARCHAR(200),
	experiment_id BIGINT,
	CONSTRAINT run_pk PRIMARY KEY (run_uuid),
	CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
	-- status CHECK (SCHEDULED, FAILED, FINISHED, RUNNING) left out: KILLED came in
	-- October 2019 (cfd24bdc0731) and the sample has a KILLED run.
	CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE TABLE tags (
	`key` VARCHAR(250) NOT NULL,
	value VARCHAR(250),
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT tag_pk PRIMARY KEY (`key`, run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);

CREATE TABLE metrics (
	`key` VARCHAR(250) NOT NULL,
	value FLOAT NOT NULL,
	timestamp BIGINT NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	step BIGINT DEFAULT '0' NOT NULL,
	CONSTRAINT metric_pk PRIMARY KEY (`key`, timestamp, step, run_uuid, value),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);

CREATE TABLE params (
	`key` VARCHAR(250) NOT NULL,
	value VARCHAR(250) NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT param_pk PRIMARY KEY (`key`, run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
