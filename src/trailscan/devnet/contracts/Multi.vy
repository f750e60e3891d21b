# pragma version ~=0.4.3
# A minimal ERC-1155: TransferSingle and TransferBatch (operator, from, to indexed; ids and values in data).

event TransferSingle:
    operator: indexed(address)
    sender: indexed(address)
    receiver: indexed(address)
    id: uint256
    value: uint256

event TransferBatch:
    operator: indexed(address)
    sender: indexed(address)
    receiver: indexed(address)
    ids: DynArray[uint256, 16]
    values: DynArray[uint256, 16]

balanceOf: public(HashMap[address, HashMap[uint256, uint256]])


@external
def mint(to: address, token_id: uint256, amount: uint256):
    self.balanceOf[to][token_id] += amount
    log TransferSingle(operator=msg.sender, sender=empty(address), receiver=to, id=token_id, value=amount)


@external
def safeTransferFrom(owner: address, to: address, token_id: uint256, amount: uint256, data: Bytes[32]):
    assert msg.sender == owner
    self.balanceOf[owner][token_id] -= amount
    self.balanceOf[to][token_id] += amount
    log TransferSingle(operator=msg.sender, sender=owner, receiver=to, id=token_id, value=amount)


@external
def safeBatchTransferFrom(owner: address, to: address, ids: DynArray[uint256, 16], amounts: DynArray[uint256, 16], data: Bytes[32]):
    assert msg.sender == owner
    assert len(ids) == len(amounts)
    for i: uint256 in range(len(ids), bound=16):
        self.balanceOf[owner][ids[i]] -= amounts[i]
        self.balanceOf[to][ids[i]] += amounts[i]
    log TransferBatch(operator=msg.sender, sender=owner, receiver=to, ids=ids, values=amounts)
