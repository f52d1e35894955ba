//! Field selection (`fields=`) and the bytes of an answer.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::TaskRecord;

/// Which fields of a task an answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fields {
    All,
    Only(Vec<String>),
}

impl Fields {
    pub(crate) fn parse(s: Option<&str>) -> Fields {
        match s {
            None => Fields::All,
            Some(s) => {
                let list: Vec<String> = s
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect();
                if list.is_empty() || list.iter().any(|f| f == "_all") {
                    Fields::All
                } else {
                    Fields::Only(list)
                }
            }
        }
    }

    pub(super) fn filter(&self, body: &Map<String, Value>) -> Map<String, Value> {
        match self {
            Fields::All => body.clone(),
            Fields::Only(list) => body
                .iter()
                .filter(|(k, _)| list.iter().any(|f| f == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

impl TaskRecord {
    /// The answer's bytes: malformed, verbatim or cached when whole, else the selected fields.
    pub(super) fn render(&mut self, fields: &Fields) -> Bytes {
        if let Some(m) = &self.malformed {
            return m.clone();
        }
        if *fields == Fields::All {
            if let Some(raw) = &self.raw {
                return raw.clone();
            }
            if let Some(c) = &self.cache {
                return c.clone();
            }
            let b = Bytes::from(serde_json::to_vec(&self.body).unwrap_or_default());
            self.cache = Some(b.clone());
            return b;
        }
        Bytes::from(serde_json::to_vec(&fields.filter(&self.body)).unwrap_or_default())
    }
}
