//! Validation problems of a task (`errors` and `warnings`).

word_enum! {
    /// The kind of a validation problem.
    pub enum IssueKind {
        /// The value of an input does not match the expected type.
        Schema = "error/task_validation/input/schema",
        /// Some files on an input have impermissible characters in their names.
        InvalidNameFiles = "error/task_validation/input/invalid_name_files",
        /// Some files of an input cannot be found in the project.
        FilesMissing = "error/task_validation/input/files_missing",
        /// Secondary (index) files required by an input cannot be found in the project.
        SecondaryFilesMissing = "error/task_validation/input/secondary_files_missing",
    }
}

model_struct! {
    /// One validation problem: `{type, message, input_id}` plus any further data.
    pub struct ValidationIssue {
        /// What kind of problem.
        kind: IssueKind = "type",
        /// Human-readable message.
        message: String = "message",
        /// The input it concerns.
        input_id: String = "input_id",
    }
}
