"""A circular UpdateStack is refused as AWS refuses it, and nothing changes."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mysfits.workshop import Workshop

FAST = {"Delay": 0.2, "MaxAttempts": 50}

TWO_PARAMETERS = """
Resources:
  First:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "${AWS::StackName}-first", Type: String, Value: one}
  Second:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "${AWS::StackName}-second", Type: String, Value: two}
"""

# First waits for Second, which names First: a circle. Third stands apart and would be created.
IN_A_CIRCLE = """
Resources:
  First:
    Type: AWS::SSM::Parameter
    DependsOn: Second
    Properties: {Name: !Sub "${AWS::StackName}-first", Type: String, Value: one}
  Second:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "${AWS::StackName}-second", Type: String, Value: !Ref First}
  Third:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "${AWS::StackName}-third", Type: String, Value: three}
"""


def test_an_update_with_a_circle_is_refused_before_anything_changes(ws: Workshop) -> None:
    cfn, ssm = ws.client("cloudformation"), ws.client("ssm")
    name = f"{ws.prefix}-circle"
    cfn.create_stack(StackName=name, TemplateBody=TWO_PARAMETERS)
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    events = len(cfn.describe_stack_events(StackName=name)["StackEvents"])
    try:
        with pytest.raises(ClientError) as refused:
            cfn.update_stack(StackName=name, TemplateBody=IN_A_CIRCLE)
        error = refused.value.response["Error"]
        assert error["Code"] == "ValidationError"
        assert error["Message"] == "Circular dependency between resources: [First, Second]"

        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert len(cfn.describe_stack_events(StackName=name)["StackEvents"]) == events
        assert ssm.get_parameter(Name=f"{name}-second")["Parameter"]["Value"] == "two"
        with pytest.raises(ClientError, match="ParameterNotFound"):
            ssm.get_parameter(Name=f"{name}-third")
    finally:
        cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
