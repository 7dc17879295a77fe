harness::snapshot_test!(equivariant_dp::REPRODUCTION);
