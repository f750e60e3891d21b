# pragma version ~=0.4.3
# A plain ERC-20 for trailscan's tests and example world.
# setup() replaces a constructor so that the runtime code can also be placed at a fixed address
# (anvil_setCode) and set up afterwards. mint() is open: this is a test token, never deploy it.
from ethereum.ercs import IERC20

implements: IERC20

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

name: public(String[64])
symbol: public(String[32])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
initialised: bool


@external
def setup(name_: String[64], symbol_: String[32], decimals_: uint8):
    assert not self.initialised, "already initialised"
    self.initialised = True
    self.name = name_
    self.symbol = symbol_
    self.decimals = decimals_


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def transfer(to: address, amount: uint256) -> bool:
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=msg.sender, receiver=to, value=amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=owner, receiver=to, value=amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def spray(first: uint256, count: uint256, amount: uint256):
    """Transfer `amount` to `count` addresses first, first+1, ...: many Transfer events in one tx."""
    for i: uint256 in range(count, bound=2000):
        to: address = convert(convert(first + i, uint160), address)
        self.balanceOf[msg.sender] -= amount
        self.balanceOf[to] += amount
        log Transfer(sender=msg.sender, receiver=to, value=amount)
