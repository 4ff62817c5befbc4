"""Domain errors: their messages are shown to users, so they say what is wrong and what state things are in."""


class DomainError(Exception):
    """A rule of the archive refuses the command."""


class IllegalTransition(DomainError):
    def __init__(self, state: str, action: str) -> None:
        self.state, self.action = state, action
        super().__init__(f"cannot {action.replace('_', ' ')} a record that is {state.replace('_', ' ')}")


class InvalidValue(DomainError, ValueError):
    """A value does not satisfy the rules (a malformed 档号, an unknown security level…)."""


class SecondAppraiserNeeded(DomainError):
    """DESIGN §6, separation of duties: where the scheme asks for two appraisers, the one who proposed an
    appraisal cannot also confirm it. `proposed_by` is who proposed it (an id in the domain, a name for people)."""

    def __init__(self, proposed_by: str) -> None:
        self.proposed_by = proposed_by
        super().__init__(f"an appraisal needs a second appraiser: {proposed_by} proposed it")
