harness::snapshot_test!(frugal::REPRODUCTION);
