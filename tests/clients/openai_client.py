"""Drive Warden with the unmodified `openai` package (OPENAI_BASE_URL, OPENAI_API_KEY from env)."""

import openai

from common import extra_headers, report, scenario_and_prompt


def messages(prompt):
    return [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": prompt},
    ]


def unary(client, prompt):
    # with_raw_response keeps the HTTP headers next to the parsed object the SDK returns.
    raw = client.chat.completions.with_raw_response.create(
        model="llama3", messages=messages(prompt), extra_headers=extra_headers()
    )
    completion = raw.parse()
    choice = completion.choices[0]
    return {
        "outcome": "completed",
        "content": choice.message.content,
        "finish_reason": choice.finish_reason,
        "decision": raw.headers.get("x-warden-decision"),
    }


def streamed(client, prompt):
    stream = client.chat.completions.create(
        model="llama3", messages=messages(prompt), stream=True, extra_headers=extra_headers()
    )
    content = []
    finish_reasons = []
    chunks = 0
    for chunk in stream:
        chunks += 1
        for choice in chunk.choices:
            if choice.delta.content:
                content.append(choice.delta.content)
            if choice.finish_reason is not None:
                finish_reasons.append(choice.finish_reason)
    return {
        "outcome": "completed",
        "content": "".join(content),
        "finish_reasons": finish_reasons,
        "chunks": chunks,
        "decision": stream.response.headers.get("x-warden-decision"),
    }


SCENARIOS = {"chat": unary, "chat_stream": streamed}


def main():
    scenario, prompt = scenario_and_prompt()
    client = openai.OpenAI(max_retries=0, timeout=30.0)
    try:
        result = SCENARIOS[scenario](client, prompt)
    except openai.APIStatusError as e:
        result = {
            "outcome": "raised",
            "class": type(e).__name__,
            "is_bad_request": isinstance(e, openai.BadRequestError),
            "status_code": e.status_code,
            "code": e.code,
            "type": e.type,
            "param": e.param,
            "message": e.message,
            "body": e.body,
            "decision": e.response.headers.get("x-warden-decision"),
        }
    report(result)


if __name__ == "__main__":
    main()
