harness::snapshot_test!(paper_template::REPRODUCTION);
