pub mod experiment;
pub mod method;
