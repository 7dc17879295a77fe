harness::snapshot_test!(fismo::REPRODUCTION);
