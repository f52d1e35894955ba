//! The documentation's example tasks, seeded into a store.

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::{Store, TaskRecord};
use crate::examples;

impl Store {
    /// Seed the documentation's examples, byte for byte but for their `href`s, which point
    /// at the mock ([`examples::at_base`]).
    pub(crate) fn seed_examples(&mut self) {
        let obj = |bytes: &[u8]| -> Map<String, Value> {
            serde_json::from_slice::<Map<String, Value>>(bytes).unwrap_or_default()
        };
        let base = self.ctx.cfg.base_url.clone();
        let here = |bytes: &[u8]| examples::at_base(bytes, &base);
        let (get, run, rerun) = (
            here(examples::GET_TASK),
            here(examples::RUN_TASK),
            here(examples::RERUN_TASK),
        );
        // f586a3fb: verbatim, COMPLETED.
        let mut rec = TaskRecord::new(obj(&get), 0);
        rec.raw = Some(Bytes::from(get.clone()));
        self.insert_record(examples::GET_TASK_ID.to_owned(), rec);
        // 08c5ce64: the same bytes with the id rewritten (it is in `href` and `id`).
        let text = String::from_utf8_lossy(&get)
            .replace(examples::GET_TASK_ID, examples::GET_TASK_REQUEST_ID);
        let mut rec = TaskRecord::new(obj(text.as_bytes()), 0);
        rec.raw = Some(Bytes::from(text));
        self.insert_record(examples::GET_TASK_REQUEST_ID.to_owned(), rec);
        // 234edb2d: verbatim RUNNING snapshot.
        let mut rec = TaskRecord::new(obj(&run), 0);
        rec.raw = Some(Bytes::from(run.clone()));
        self.insert_record(examples::RUN_TASK_ID.to_owned(), rec);
        // 79ef6004: verbatim DRAFT (the rerun answer).
        let mut rec = TaskRecord::new(obj(&rerun), 0);
        rec.raw = Some(Bytes::from(rerun));
        self.insert_record(examples::RERUN_TASK_ID.to_owned(), rec);
        // b0bbeda6: a DRAFT made from the run example.
        let mut body = obj(&run);
        let href = body
            .get("href")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace(examples::RUN_TASK_ID, examples::RUN_TASK_REQUEST_ID);
        body.insert("href".into(), Value::String(href));
        body.insert("id".into(), examples::RUN_TASK_REQUEST_ID.into());
        body.insert("status".into(), "DRAFT".into());
        for k in ["executed_by", "start_time", "execution_status"] {
            body.shift_remove(k);
        }
        body.insert("errors".into(), json!([]));
        body.insert("warnings".into(), json!([]));
        self.insert_record(
            examples::RUN_TASK_REQUEST_ID.to_owned(),
            TaskRecord::new(body, 0),
        );
        // a547a1c4: the batch example, repaired; verbatim when asked.
        if let Value::Object(mut body) = examples::batch_example_repaired() {
            body.insert("href".into(), self.ctx.href(examples::BATCH_TASK_ID).into());
            let mut rec = TaskRecord::new(body, 0);
            if self.ctx.cfg.serve_malformed {
                rec.malformed = Some(Bytes::from(here(examples::GET_TASK_BATCH_MALFORMED)));
            }
            self.insert_record(examples::BATCH_TASK_ID.to_owned(), rec);
        }
        // A draft that cannot run: its errors are the fragment's, and its inputs produce them.
        let id = examples::INVALID_DRAFT_ID;
        let body = json!({
            "href": self.ctx.href(id),
            "id": id,
            "name": "draft with validation errors",
            "status": "DRAFT",
            "project": "RFranklin/my-project",
            "app": "RFranklin/my-project/snpeff/1",
            "type": "v2",
            "created_by": "RFranklin",
            "batch": false,
            "use_interruptible_instances": false,
            "errors": examples::validation_errors(),
            "warnings": [],
            "inputs": {
                "FASTQ": {"class": "File"},
                "SnpEff_Database": {"class": "File"},
                "Reference": {"class": "File"},
            },
            "outputs": {"annotated": null},
        });
        if let Value::Object(body) = body {
            self.insert_record(id.to_owned(), TaskRecord::new(body, 0));
        }
    }
}
