# pragma version ~=0.4.3
# An old-style token (like MKR): symbol() returns bytes32 and there is no decimals().

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

symbol: public(bytes32)
balanceOf: public(HashMap[address, uint256])


@deploy
def __init__(symbol_: bytes32):
    self.symbol = symbol_


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def transfer(to: address, amount: uint256) -> bool:
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=msg.sender, receiver=to, value=amount)
    return True
