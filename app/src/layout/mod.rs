//! The frame pages share: the document shell, the dashboard header, form errors.

pub mod dashboard;
pub mod form_error;
pub mod live;
pub mod shell;
