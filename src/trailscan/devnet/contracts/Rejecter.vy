# pragma version ~=0.4.3
# Refuses every payment: the target of a reverted internal call.


@external
@payable
def __default__():
    raise "no payments"
