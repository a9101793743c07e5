//! The gateway's test suite: one binary, requests go through the real router
//! into a real database (SQLite by default, PostgreSQL with
//! `OCOP_TEST_BACKEND=postgres`), with real signed tokens.

mod helpers;

mod auth;
mod b2b;
mod bulk;
mod catalog;
mod catalog_rules;
mod catalog_write;
mod cli;
mod console;
mod durability;
mod errors;
mod examples;
mod fuzz;
mod hostile;
mod http;
mod inventory;
mod kept_answers;
mod ledger;
mod limits;
mod live;
mod live_catalog;
mod media_s3;
mod migrations;
mod orders;
mod origin;
mod over_http;
mod reports;
mod schema;
mod seed;
mod webhook_process;
mod webhooks;
mod ws_client;
