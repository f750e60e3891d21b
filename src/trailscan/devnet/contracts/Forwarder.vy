# pragma version ~=0.4.3
# Moves ETH on inside a transaction, making internal transfers; can also attempt a transfer that reverts.


@external
@payable
def forward(to: address):
    """Send all of msg.value on to `to` (an internal value transfer)."""
    send(to, msg.value)


@external
@payable
def split(a: address, b: address):
    """Half to a, the rest to b: two internal transfers in one transaction."""
    half: uint256 = msg.value // 2
    send(a, half)
    send(b, msg.value - half)


@external
@payable
def try_forward(to: address) -> bool:
    """Try to send msg.value to `to` without reverting if that call fails: a reverted internal call."""
    ok: bool = raw_call(to, b"", value=msg.value, revert_on_failure=False)
    return ok


@external
@payable
def always_fail(to: address):
    """Send to `to`, then revert the whole transaction: nothing moves."""
    send(to, msg.value)
    raise "always fails"


@external
@payable
def __default__():
    pass
