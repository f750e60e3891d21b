# pragma version ~=0.4.3
# A minimal ERC-721: Transfer carries the token id as a third indexed topic and no data.

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    tokenId: indexed(uint256)

event Approval:
    owner: indexed(address)
    approved: indexed(address)
    tokenId: indexed(uint256)

event ApprovalForAll:
    owner: indexed(address)
    operator: indexed(address)
    approved: bool

ownerOf: public(HashMap[uint256, address])
getApproved: public(HashMap[uint256, address])
isApprovedForAll: public(HashMap[address, HashMap[address, bool]])


@external
def mint(to: address, token_id: uint256):
    assert self.ownerOf[token_id] == empty(address)
    self.ownerOf[token_id] = to
    log Transfer(sender=empty(address), receiver=to, tokenId=token_id)


@external
def transferFrom(owner: address, to: address, token_id: uint256):
    assert self.ownerOf[token_id] == owner
    assert msg.sender == owner or self.getApproved[token_id] == msg.sender or self.isApprovedForAll[owner][msg.sender]
    self.ownerOf[token_id] = to
    self.getApproved[token_id] = empty(address)
    log Transfer(sender=owner, receiver=to, tokenId=token_id)


@external
def approve(spender: address, token_id: uint256):
    assert self.ownerOf[token_id] == msg.sender
    self.getApproved[token_id] = spender
    log Approval(owner=msg.sender, approved=spender, tokenId=token_id)


@external
def setApprovalForAll(operator: address, approved: bool):
    self.isApprovedForAll[msg.sender][operator] = approved
    log ApprovalForAll(owner=msg.sender, operator=operator, approved=approved)
