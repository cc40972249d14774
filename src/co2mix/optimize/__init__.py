"""Mix design on any dataset's design space (one value, :mod:`.space`, searched by
:mod:`.design` over :mod:`.solvers`; the answer's record, :mod:`.design_record`), and the
plant's optimizer and surrogate benchmark on top of it, each proposal checked against
the simulator's physics (:mod:`.truth_check`)."""
