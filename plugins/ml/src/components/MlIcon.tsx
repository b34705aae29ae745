import SvgIcon, { SvgIconProps } from '@material-ui/core/SvgIcon';

/**
 * The ML platform's icon: a small neural network.
 *
 * @public
 */
export function MlIcon(props: SvgIconProps) {
  return (
    <SvgIcon {...props} viewBox="0 0 24 24">
      <path d="M5 4a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm0 12a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm7-6a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm7-6a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm0 12a2 2 0 1 1 0 4 2 2 0 0 1 0-4zM6.7 7.1l3.8 3.3-.7.8-3.8-3.3zm0 9.8-.7-.8 3.8-3.3.7.8zm10.6-9.8.7.8-3.8 3.3-.7-.8zm0 9.8-3.8-3.3.7-.8 3.8 3.3z" />
    </SvgIcon>
  );
}
