"""The simulator partners test their client against (cookbook §7.2): scenarios, faults and the conformance judge."""
