"""End to end on the real three-level federation: the province's instruction (批示) assigned to Nanguan (220102)
reaches the county's node across the city's server; Nanguan answers (反馈) over its own node's HTTP API; the
answer becomes the province instruction's own."""

from __future__ import annotations

from domain.received_instruction import received_instruction_id
from tests.federation.builders import COUNTY, PROVINCE
from tests.federation.test_cases_e2e import county_http, until_answered  # noqa: F401 (the county's HTTP API)
from tests.federation.test_federation_e2e import levels, until  # noqa: F401 (the servers and nodes fixture)
from tests.federation.test_instructions import province_instruction_assigned


async def test_the_provinces_instruction_reaches_nanguan_and_its_answer_reaches_the_instruction(
    levels, county_http  # noqa: F811
):
    province = levels.nodes[PROVINCE]
    instruction_id = await province_instruction_assigned(province)
    record = received_instruction_id(PROVINCE, str(instruction_id))

    async def listed() -> bool:
        found = (await county_http("GET", "/v1/received-instructions")).json()["instructions"]
        return str(instruction_id) in [i["instruction_id"] for i in found]

    await until_answered(listed, "the instruction is on Nanguan's list")
    answer = await county_http("POST", f"/v1/received-instructions/{record}/answer", json={"text": "已完成供暖改造"})

    assert answer.status_code == 200, answer.text
    instruction = lambda: province.writer.app.repository.get(instruction_id)  # noqa: E731
    await until(lambda: instruction().state.value == "answered", "the answer reaches the province's instruction")
    (answered,) = [e for e in province.reader.envelopes(0, 100_000) if e.type == "InstructionAnswered"]
    assert (answered.actor["unit"], answered.payload["text"]) == (COUNTY, "已完成供暖改造")
