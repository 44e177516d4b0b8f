"""The double-entry ledger: whatever happens, accounts sum to zero and no fund or budget goes negative."""

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kit.database import Database
from services.kit.errors import Conflict
from services.subsidy.ledger import repository
from services.subsidy.ledger.service import (
    Leg,
    budget_account,
    committed_account,
    fund_account,
    paid_account,
    post,
    reverse,
    treasury_account,
)

HOUSEHOLD = uuid.UUID(int=99)
NEVER_NEGATIVE = ("fund:", "budget:", "reserved:", "committed:")
amounts = st.integers(min_value=1, max_value=50_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.just(0), amounts),
        st.tuples(
            st.sampled_from(["allocate", "commit", "pay", "release"]), st.sampled_from([0, 1]), amounts
        ),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30), st.just(0)),
    ),
    min_size=1,
    max_size=30,
)


def legs_for(op: str, program: uuid.UUID, amount: int, fund: str) -> list[Leg]:
    moves = {
        "grant": (treasury_account(fund), fund_account(fund)),
        "allocate": (fund_account(fund), budget_account(program)),
        "commit": (budget_account(program), committed_account(program)),
        "pay": (committed_account(program), paid_account(program)),
        "release": (committed_account(program), budget_account(program)),
    }
    source, target = moves[op]
    return [Leg(source, -amount, program, HOUSEHOLD), Leg(target, amount, program, HOUSEHOLD)]


async def run(url: str, steps: list[tuple[str, int, int]]) -> None:
    database = Database(url, "subsidy", pool_size=2)
    fund = f"fund-{uuid.uuid4().hex[:8]}"
    programs = [uuid.uuid4(), uuid.uuid4()]
    expected: dict[str, int] = {}
    posted: list[uuid.UUID] = []
    try:
        async with database.sessionmaker() as session, session.begin():
            for op, which, amount in steps:
                try:
                    async with session.begin_nested():
                        if op == "reverse":
                            if not posted:
                                continue
                            target = posted[which % len(posted)]
                            original = await repository.entries_of(session, target)
                            transaction = await reverse(session, target, "test reversal")
                            legs = [Leg(e.account, -e.amount_fen) for e in original]
                        else:
                            legs = legs_for(op, programs[which], amount, fund)
                            transaction = await post(session, op, "property test", legs)
                    posted.append(transaction.id)
                    for leg in legs:
                        expected[leg.account] = expected.get(leg.account, 0) + leg.amount_fen
                except Conflict:
                    pass  # refused: not enough money, or already reversed; nothing may have been written
        async with database.sessionmaker() as session:
            assert await repository.totals(session) == (0, 0)
            assert await repository.unbalanced_transactions(session) == 0
            assert await repository.balances_disagreeing_with_entries(session) == 0
            assert await repository.negative_floored_accounts(session, NEVER_NEGATIVE) == 0
            assert await repository.balances(session, sorted(expected)) == expected
    finally:
        await database.dispose()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_of_operations_keeps_the_ledger_balanced(
    pg_urls: dict[str, str], steps: list[tuple[str, int, int]]
) -> None:
    # Examples share one database: the invariants are about all accounts together, so they must hold
    # after every example, whatever earlier examples left.
    asyncio.run(run(pg_urls["subsidy"], steps))
