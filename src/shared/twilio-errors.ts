/**
 * Why a message failed, said so an agent can act on it: what happened, what to do
 * next, and whether sending the same message again can help. Keyed by Twilio's
 * error code (www.twilio.com/docs/api/errors/<code>), as the relay keeps it on the
 * message, plus the relay's own refusals the desktop stores as the code.
 *
 * "Retry can help" only where the cause may pass by itself: a phone switched off or
 * out of coverage (30003), a carrier's unexplained failure (30008). Everything else
 * fails again the same way until someone changes something, so the bubble offers no
 * Retry and says who must change what.
 */
export interface FailureExplanation {
  /** What happened, in one sentence. */
  sentence: string
  /** What the agent (or an admin) can do about it. */
  nextStep: string
  retryCanHelp: boolean
}

const explanations = new Map<string, FailureExplanation>(
  Object.entries({
    '21211': {
      sentence: 'This phone number is not valid.',
      nextStep: "Check the contact's number for a missing or extra digit and the country code.",
      retryCanHelp: false,
    },
    '21408': {
      sentence: "Texting this number's country is not enabled on the workspace's Twilio account.",
      nextStep: "Ask an admin to enable the country in Twilio's SMS geographic permissions.",
      retryCanHelp: false,
    },
    '21610': {
      sentence: 'The customer replied STOP, so they receive no texts from this number.',
      nextStep: 'Only the customer can undo this, by texting START to this number.',
      retryCanHelp: false,
    },
    '21612': {
      sentence: 'Twilio cannot reach this number from the sending number.',
      nextStep: 'Try another workspace number, or call the customer.',
      retryCanHelp: false,
    },
    '21614': {
      sentence: 'This number is not a mobile number and cannot receive texts.',
      nextStep: 'Ask the customer for a mobile number, or call them.',
      retryCanHelp: false,
    },
    '30003': {
      sentence: "The customer's phone could not be reached: it may be off or out of coverage.",
      nextStep: 'Retry later.',
      retryCanHelp: true,
    },
    '30004': {
      sentence: 'The message was blocked by the customer or their carrier.',
      nextStep: 'Reach the customer another way and ask them to unblock this number.',
      retryCanHelp: false,
    },
    '30005': {
      sentence: 'This number is unknown to its carrier or no longer in service.',
      nextStep: "Confirm the customer's number with them.",
      retryCanHelp: false,
    },
    '30006': {
      sentence: 'This number is a landline, or its carrier cannot be reached.',
      nextStep: 'Call the customer, or ask them for a mobile number.',
      retryCanHelp: false,
    },
    '30007': {
      sentence: 'The carrier filtered the message as spam.',
      nextStep: 'Reword it (fewer links, no shortened URLs) and send it as a new message.',
      retryCanHelp: false,
    },
    '30008': {
      sentence: 'The carrier could not deliver the message and gave no reason.',
      nextStep: 'Retry; if it fails again, reach the customer another way.',
      retryCanHelp: true,
    },
    '30034': {
      sentence: 'The sending number is not registered for US texting (A2P 10DLC), so carriers block it.',
      nextStep: "Ask an admin to register the number's A2P 10DLC campaign, or send from a registered number.",
      retryCanHelp: false,
    },
    opted_out: {
      sentence: 'The customer opted out of texts from this number; the message was not sent.',
      nextStep: 'Only the customer can undo this, by texting START to this number.',
      retryCanHelp: false,
    },
  } satisfies Record<string, FailureExplanation>),
)

/** The codes explained here, for the release notes and the tests. */
export const explainedErrorCodes: readonly string[] = [...explanations.keys()]

/** The explanation of a failure's code, or null when the code is not one we explain. */
export function explainFailure(errorCode: string | null): FailureExplanation | null {
  return errorCode === null ? null : (explanations.get(errorCode) ?? null)
}
