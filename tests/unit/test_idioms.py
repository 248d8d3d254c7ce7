"""The shared AWS error idioms swallow exactly the answers they name and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from mysfits.errors import ResourceNotFound
from mysfits.idioms import (
    Answer,
    absent_is_none,
    answered,
    create_if_absent,
    create_or_get,
    delete_if_present,
    done_unless,
    retry_while,
    translated,
)
from mysfits.waiting import WaitTimedOut


def aws_error(
    code: str, message: str = "", operation: str = "Operation", status: int = 400
) -> ClientError:
    """A ClientError shaped as botocore parses AWS's answers."""
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


def raising(error: Exception) -> Callable[[], object]:
    def call() -> object:
        raise error

    return call


class Calls:
    """A call answering with each of `answers` in turn (exceptions raised, values returned)."""

    def __init__(self, *answers: object) -> None:
        self.answers, self.count = list(answers), 0

    def __call__(self) -> object:
        answer = self.answers[min(self.count, len(self.answers) - 1)]
        self.count += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


STACK_MISSING = Answer("ValidationError", "does not exist")


# -- matching -------------------------------------------------------------------------------------


def test_a_code_matches_the_code_alone_and_an_answer_needs_its_words() -> None:
    missing = aws_error("ValidationError", "Stack with id x-core does not exist")
    malformed = aws_error("ValidationError", "Template format error: unsupported field")
    assert answered(missing, "ValidationError") and answered(malformed, "ValidationError")
    assert answered(missing, STACK_MISSING) and not answered(malformed, STACK_MISSING)
    assert not answered(missing, "ResourceNotFoundException")
    assert not answered(missing)


def test_codes_match_exactly_not_by_substring() -> None:
    assert not answered(aws_error("NoSuchBucketPolicy"), "NoSuchBucket")
    assert answered(aws_error("404", status=404), "404")


# -- absent is None -------------------------------------------------------------------------------


def test_absent_is_none_returns_the_result_or_none_for_the_named_codes() -> None:
    assert absent_is_none(lambda: {"Table": 1}, "ResourceNotFoundException") == {"Table": 1}
    assert (
        absent_is_none(raising(aws_error("ResourceNotFoundException")), "ResourceNotFoundException")
        is None
    )
    assert (
        absent_is_none(
            raising(aws_error("NoSuchEntity")), "ResourceNotFoundException", "NoSuchEntity"
        )
        is None
    )


@pytest.mark.parametrize(
    "code", ["AccessDenied", "ThrottlingException", "ValidationException", "404"]
)
def test_absent_is_none_never_swallows_other_codes(code: str) -> None:
    with pytest.raises(ClientError) as raised:
        absent_is_none(raising(aws_error(code)), "ResourceNotFoundException", "NoSuchKey")
    assert raised.value.response["Error"]["Code"] == code


def test_absent_is_none_lets_non_aws_errors_through() -> None:
    with pytest.raises(KeyError):
        absent_is_none(raising(KeyError("Table")), "ResourceNotFoundException")


def test_a_stack_that_does_not_exist_is_none_but_a_bad_template_raises() -> None:
    assert (
        absent_is_none(
            raising(aws_error("ValidationError", "Stack with id s does not exist")), STACK_MISSING
        )
        is None
    )
    with pytest.raises(ClientError, match="Template format error"):
        absent_is_none(
            raising(aws_error("ValidationError", "Template format error")), STACK_MISSING
        )


# -- delete if present, create if absent ----------------------------------------------------------


def test_delete_if_present_says_whether_it_deleted() -> None:
    deleted: list[str] = []
    assert delete_if_present(lambda: deleted.append("repo"), "RepositoryNotFoundException") is True
    assert deleted == ["repo"]
    assert (
        delete_if_present(
            raising(aws_error("RepositoryNotFoundException")), "RepositoryNotFoundException"
        )
        is False
    )


def test_delete_if_present_raises_when_the_resource_cannot_go() -> None:
    with pytest.raises(ClientError, match="RepositoryNotEmptyException"):
        delete_if_present(
            raising(aws_error("RepositoryNotEmptyException")), "RepositoryNotFoundException"
        )


def test_a_call_returning_none_still_counts_as_done() -> None:
    assert done_unless(lambda: None, "X") is True
    assert create_if_absent(lambda: None, "ResourceAlreadyExistsException") is True
    assert (
        create_if_absent(
            raising(aws_error("ResourceAlreadyExistsException")), "ResourceAlreadyExistsException"
        )
        is False
    )
    with pytest.raises(ClientError, match="LimitExceededException"):
        create_if_absent(
            raising(aws_error("LimitExceededException")), "ResourceAlreadyExistsException"
        )


# -- create or get --------------------------------------------------------------------------------


def test_create_or_get_reads_what_exists_only_when_told_it_exists() -> None:
    got = Calls({"name": "found"})
    assert create_or_get(lambda: {"name": "made"}, got, "RepositoryAlreadyExistsException") == {
        "name": "made"
    }
    assert got.count == 0
    exists = raising(aws_error("RepositoryAlreadyExistsException"))
    assert create_or_get(exists, got, "RepositoryAlreadyExistsException") == {"name": "found"}
    with pytest.raises(ClientError, match="InvalidParameterException"):
        create_or_get(
            raising(aws_error("InvalidParameterException")), got, "RepositoryAlreadyExistsException"
        )
    assert got.count == 1


# -- translated -----------------------------------------------------------------------------------


def test_translated_raises_the_domain_error_with_the_aws_error_as_cause() -> None:
    original = aws_error("NoSuchWebsiteConfiguration")
    with (
        pytest.raises(ResourceNotFound, match="run notebook 01 first") as raised,
        translated(
            "NoSuchWebsiteConfiguration", into=ResourceNotFound("no website: run notebook 01 first")
        ),
    ):
        raise original
    assert raised.value.__cause__ is original


def test_translated_can_repeat_the_aws_reason() -> None:
    original = aws_error("InvalidPasswordException", "Password not long enough")
    with (
        pytest.raises(ResourceNotFound, match="Password not long enough: choose") as raised,
        translated(
            "InvalidPasswordException",
            into=lambda error: ResourceNotFound(
                f"{error.response['Error']['Message']}: choose another"
            ),
        ),
    ):
        raise original
    assert raised.value.__cause__ is original


def test_translated_leaves_other_errors_and_success_alone() -> None:
    with translated("NoSuchBucket", into=ResourceNotFound("never")):
        value = 1
    assert value == 1
    never = ResourceNotFound("never")
    with pytest.raises(ClientError, match="AccessDenied"), translated("NoSuchBucket", into=never):
        raise aws_error("AccessDenied")


def test_translated_works_around_a_generator() -> None:
    def pages() -> object:
        with translated(
            "ResourceNotFoundException", into=ResourceNotFound("no table: create it first")
        ):
            yield 1
            raise aws_error("ResourceNotFoundException")

    with pytest.raises(ResourceNotFound, match="create it first"):
        list(pages())  # type: ignore[call-overload]


# -- retry while ----------------------------------------------------------------------------------


ROLE_NOT_READY = Answer("InvalidInputException", "not authorized to perform")


def test_retry_while_retries_the_named_answer_until_it_passes() -> None:
    clock = FakeClock()
    not_yet = aws_error(
        "InvalidInputException", "CodeBuild is not authorized to perform: sts:AssumeRole on arn"
    )
    call = Calls(not_yet, not_yet, not_yet, {"project": "p"})
    result = retry_while(
        call, ROLE_NOT_READY, what="project created", interval=5, sleep=clock.sleep, clock=clock
    )
    assert result == {"project": "p"}
    # the first try, then wait_until's prompt one, then two pauses backing off from 0.1 s
    assert call.count == 4
    assert clock.now == pytest.approx(0.1 + 0.2)


def test_retry_while_returns_at_once_without_waiting() -> None:
    clock = FakeClock()
    assert (
        retry_while(
            lambda: None, "ClusterContainsTasksException", what="x", sleep=clock.sleep, clock=clock
        )
        is None
    )
    assert clock.now == 0.0


def test_retry_while_raises_other_answers_immediately() -> None:
    clock = FakeClock()
    bad_input = aws_error("InvalidInputException", "Invalid build image")
    call = Calls(bad_input)
    with pytest.raises(ClientError, match="Invalid build image"):
        retry_while(call, ROLE_NOT_READY, what="project created", sleep=clock.sleep, clock=clock)
    assert call.count == 1 and clock.now == 0.0


def test_retry_while_times_out_naming_what_the_hint_and_the_last_answer() -> None:
    clock = FakeClock()
    busy = aws_error(
        "ClusterContainsTasksException", "The cluster cannot be deleted while tasks are active."
    )
    with pytest.raises(WaitTimedOut) as raised:
        retry_while(
            raising(busy),
            "ClusterContainsTasksException",
            what="cluster deleted",
            timeout=30,
            interval=10,
            hint="Stop its tasks.",
            sleep=clock.sleep,
            clock=clock,
        )
    message = str(raised.value)
    assert "Timed out after 30 s waiting for cluster deleted. Stop its tasks." in message
    assert (
        "ClusterContainsTasksException: The cluster cannot be deleted while tasks are active."
        in message
    )
    assert clock.now == 30.0
