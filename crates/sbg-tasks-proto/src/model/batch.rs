//! Batch settings of a parent task and the group of a child.

word_enum! {
    /// How a batch is split.
    pub enum BatchByType {
        /// One child per item of the batch input.
        Item = "ITEM",
        /// One child per group of metadata criteria.
        Criteria = "CRITERIA",
    }
}

model_struct! {
    /// `batch_by`: how the batch input is split into children.
    pub struct BatchBy {
        /// ITEM or CRITERIA.
        kind: BatchByType = "type",
        /// Metadata fields grouped by (CRITERIA), e.g. `metadata.sample_id`.
        criteria: Vec<String> = "criteria",
    }
}

model_struct! {
    /// `batch_group` of a child task: which group of the parent's batch it runs.
    pub struct BatchGroup {
        /// The group's value, e.g. `C18-146.fastq` or `hg19, E18127-pool40-L2355`.
        value: String = "value",
        /// The metadata field values of the group.
        fields: crate::model::Extra = "fields" as super::strict::StrictObject,
    }
}
