"""Makes moto's DynamoDB fast enough to import for real, keeping its semantics.

Pinned to moto 5.2.5 (scripts/requirements.txt); `apply()` refuses any other version, so a
bump forces a look at what changed. Why each patch exists (docs/benchmarks.md has the figures):

1. `TransactWriteItems` deep-copied every table a transaction touches before writing, to roll
   back on a cancellation: O(table) per transaction, so an import was quadratic. Here the
   transaction journals a copy of only the items it touches and restores those on failure.
   Moto's own rollback still runs; it just restores the same table object it was given.
2. `Query` gathered its candidates from `all_items()`, which lists and sorts the whole table
   on every call (and every page), for a table query and an index query alike. Here a query
   starts from its partition: the table's own partition, or a per-index map from the index's
   hash key to its items, kept current by every write path (put, update, delete, batch
   writes, transactions and their rollback). The filtering, sorting and paging after that are
   moto's, unchanged.
3. Every DynamoDB response went through moto's generic, model-driven serializer, which walks
   the service model for every attribute of every item: a page of 200 users took about a
   second to encode, more than the query itself. DynamoDB's wire format is the result as
   JSON, so results that are plain data (strings, numbers, booleans, lists, maps, and bytes,
   which go out base64-encoded as the serializer sends them) are written with `json.dumps`;
   anything else (a table description's timestamps) still takes the generic path.
4. A million users did not fit in memory (about 25 KB per user, so 1M users wanted more than
   the 23 GB of this machine). Moto appends every model object it ever builds to a class-wide
   list (`instances_tracked`, read only by the /moto-api/data.json dashboard and by S3's
   reset), so every DynamoDB item stayed alive forever: overwritten, deleted, and the
   journal's copies of the previous section alike. Items are no longer tracked. Attribute
   names and short string values (statuses, roles, tenant prefixes) arrive as new strings with
   every request; they are interned, so a million users share one copy of each. An item's size
   limit is checked once on the whole item instead of once per attribute (the check summed
   the item so far each time, O(attributes²)); the limit and the error are moto's.

scripts/lib/tests/test_moto_patches.py checks the semantics the tests of the project rely on:
conditions, cancellation reasons, atomic rollback (puts, updates, deletes), index queries
after every kind of write, pagination.
"""

from __future__ import annotations

import base64
import copy
import json
import sys
from typing import Any

PINNED_MOTO = "5.2.5"

_applied = False


def apply() -> None:
    """Installs the patches once per process."""
    global _applied
    if _applied:
        return
    import moto
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if moto.__version__ != PINNED_MOTO:
        raise RuntimeError(
            f"scripts/lib/moto_patches.py patches moto {PINNED_MOTO}, found {moto.__version__}: "
            "review the patches against the new version before changing the pin"
        )
    from moto.dynamodb import responses

    _patch_transactions(DynamoDBBackend, Table)
    _patch_queries(DynamoDBBackend, Table)
    _patch_serialization(responses.DynamoResult)
    _patch_memory()
    _applied = True


# --- 1. transactions journal the items they touch -------------------------------------------


def _touched_key(backend: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """(table, hash value, range value) of the item one transaction entry writes."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        table = backend.get_table(op["TableName"])
        attrs = op["Item"] if op_type == "Put" else op["Key"]
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = (
            DynamoType(attrs[table.range_key_attr]) if table.range_key_attr is not None else None
        )
        return table, hash_value, range_value
    except Exception:  # moto reports the bad entry itself; nothing of it is written
        return None


def _put_back(table: Any, hash_value: Any, range_value: Any, saved: Any) -> None:
    if range_value is not None:
        partition = table.items[hash_value]
        if saved is None:
            partition.pop(range_value, None)
        else:
            partition[range_value] = saved
    elif saved is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = saved
    _reindex(table, hash_value, range_value)


def _patch_transactions(backend_class: Any, table_class: Any) -> None:
    original = backend_class.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        journal = []
        for entry in transact_items[:100]:
            if len(entry) != 1:
                continue  # moto refuses the whole request before writing anything
            op_type, op = next(iter(entry.items()))
            if op_type == "ConditionCheck":
                continue  # writes nothing
            touched = _touched_key(self, op_type, op)
            if touched is not None:
                table, hash_value, range_value = touched
                current = table.get_item(hash_value, range_value)
                journal.append((table, hash_value, range_value, copy.deepcopy(current)))
        # Moto's backup becomes the table itself (no copy); the journal is the real backup.
        table_class.__deepcopy__ = lambda table, memo: table
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, saved in reversed(journal):
                _put_back(table, hash_value, range_value, saved)
            raise
        finally:
            del table_class.__deepcopy__

    backend_class.transact_write_items = transact_write_items


# --- 2. queries start from their partition ---------------------------------------------------


class _IndexMap:
    """For each global index with one hash attribute: hash value -> {(table hash, range): item}."""

    def __init__(self, table: Any) -> None:
        self.hash_attribute: dict[str, str] = {}
        for index in table.global_indexes or []:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            if len(hashes) == 1:
                self.hash_attribute[index.name] = hashes[0]
        self.partitions: dict[str, dict[Any, dict[tuple[Any, Any], Any]]] = {
            name: {} for name in self.hash_attribute
        }
        # (table hash, range) -> {index name: index hash value}, to move an item that changed.
        self.placed: dict[tuple[Any, Any], dict[str, Any]] = {}
        for item in _every_item(table):
            self.place(item.hash_key, item.range_key, item)

    def place(self, hash_value: Any, range_value: Any, item: Any) -> None:
        key = (hash_value, range_value)
        for name, value in self.placed.pop(key, {}).items():
            partition = self.partitions[name].get(value)
            if partition is not None:
                partition.pop(key, None)
                if not partition:
                    del self.partitions[name][value]
        if item is None:
            return
        placed = {}
        for name, attribute in self.hash_attribute.items():
            value = item.attrs.get(attribute)
            if value is not None:
                self.partitions[name].setdefault(value, {})[key] = item
                placed[name] = value
        if placed:
            self.placed[key] = placed


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _index_map(table: Any) -> _IndexMap:
    index_map = table.__dict__.get("_roster_index_map")
    if index_map is None:
        index_map = _IndexMap(table)
        table.__dict__["_roster_index_map"] = index_map
    return index_map


def _reindex(table: Any, hash_value: Any, range_value: Any) -> None:
    """Brings the index map (if built) in line with the item now stored at this key."""
    index_map = table.__dict__.get("_roster_index_map")
    if index_map is not None:
        index_map.place(hash_value, range_value, table.get_item(hash_value, range_value))


def _partition_items(table: Any, hash_value: Any) -> list[Any]:
    stored = table.items.get(hash_value)
    if stored is None:
        return []
    return list(stored.values()) if table.range_key_attr else [stored]


def _candidates(table: Any, index_name: str | None, hash_key: Any, conditions: Any) -> list | None:
    """The items a query can match, or None where moto's full list must serve."""
    if index_name is None:
        return _partition_items(table, hash_key) if hash_key is not None else None
    if any(index.name == index_name for index in table.indexes or []):
        return _partition_items(table, hash_key) if hash_key is not None else None
    index_map = _index_map(table)
    attribute = index_map.hash_attribute.get(index_name)
    if attribute is None:
        return None
    wanted = dict(conditions or []).get(attribute, hash_key)
    if wanted is None:
        return None
    return list(index_map.partitions[index_name].get(wanted, {}).values())


def _patch_queries(backend_class: Any, table_class: Any) -> None:
    original_query = table_class.query
    original_put = table_class.put_item
    original_delete = table_class.delete_item
    original_update = backend_class.update_item

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        candidates = _candidates(self, index_name, hash_key, kwargs.get("hash_key_conditions"))
        if candidates is None:
            return original_query(self, hash_key, *args, **kwargs)
        shadowed = self.__dict__.get("all_items")
        self.__dict__["all_items"] = lambda: candidates
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            if shadowed is None:
                del self.__dict__["all_items"]
            else:
                self.__dict__["all_items"] = shadowed

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _reindex(self, item.hash_key, item.range_key)
        return item

    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = original_delete(self, hash_key, range_key)
        _reindex(self, hash_key, range_key)
        return item

    def update_item(self: Any, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            # Updates change the stored item in place, and may have begun to when they fail.
            try:
                table = self.get_table(table_name)
                hash_value, range_value = self.get_keys_value(table, key)
            except Exception:
                pass
            else:
                _reindex(table, hash_value, range_value)

    table_class.query = query
    table_class.put_item = put_item
    table_class.delete_item = delete_item
    backend_class.update_item = update_item


# --- 3. plain results are written as JSON directly --------------------------------------------


class _NotPlain(Exception):
    """A value the generic serializer must handle (a timestamp, say)."""


def _plain(value: Any) -> Any:
    """`value` as JSON-ready data, bytes base64-encoded; `_NotPlain` for anything else."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise _NotPlain(type(value).__name__)


def _patch_serialization(result_class: Any) -> None:
    original = result_class.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        output = context.operation_model.output_shape
        if not isinstance(self.result, dict) or output is None:
            return original(self, context)
        # Like the serializer, send only what the operation's output declares.
        declared = {k: v for k, v in self.result.items() if k in output.members}
        try:
            body = json.dumps(_plain(declared), separators=(",", ":"))
        except _NotPlain:
            return original(self, context)
        # The request id, date and server headers are added by the caller, as for the
        # serializer's answer.
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    result_class.execute_result = execute_result
    # For the tests that hold the fast path to the serializer's output.
    result_class.generic_execute_result = original


# --- 4. items are freed when dropped, and share their names --------------------------------

# Longer strings are mostly unique (ids, e-mail addresses): interning them would only cost.
_INTERNED_UP_TO = 64


def _interned(value: Any) -> Any:
    return sys.intern(value) if type(value) is str and len(value) <= _INTERNED_UP_TO else value


def _patch_memory() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    Item.__new__ = untracked_new  # type: ignore[method-assign]

    original_type_init = DynamoType.__init__

    def type_init(self: Any, type_as_dict: Any) -> None:
        original_type_init(self, type_as_dict)
        self.type = sys.intern(self.type)
        if self.type in ("S", "N"):
            self.value = _interned(self.value)
        elif self.type == "M":
            self.value = {sys.intern(k): v for k, v in self.value.items()}

    DynamoType.__init__ = type_init  # type: ignore[method-assign]

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {sys.intern(k): DynamoType(v) for k, v in attrs.items()}
        size = sum(bytesize(k) + v.size() for k, v in converted.items())
        if size > 405000:  # LimitedSizeDict's limit, checked once
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, converted)

    Item.__init__ = item_init  # type: ignore[method-assign]
