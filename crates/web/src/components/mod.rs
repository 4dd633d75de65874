//! Pieces shared by pages: the card, the data table, the month picker, form fields,
//! messages and charts.

pub mod card;
mod chart_marks;
pub mod charts;
pub mod data_table;
pub mod environment_filter;
pub mod form;
pub mod messages;
pub mod month_picker;
pub mod waterfall;

pub use card::{Card, Tone};
pub use charts::Figure;
pub use data_table::{Column, DataTable, InteractiveTable};
pub use environment_filter::{EnvironmentFilter, EnvironmentNote, ReportFilter};
pub use form::{Choices, Csrf, Field, FieldErrors, Hidden, InlineForms, PageFilter, Select};
pub use messages::{Alert, Notice};
pub use month_picker::MonthPicker;
