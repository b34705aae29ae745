import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  svg: { width: 28, height: 28, flexShrink: 0 },
  path: { fill: '#7df3e1' },
});

/** The portal's mark: a small neural network, as on the ML page. */
export const LogoIcon = () => {
  const classes = useStyles();
  return (
    <svg
      className={classes.svg}
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 24 24"
    >
      <path
        className={classes.path}
        d="M5 4a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm0 12a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm7-6a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm7-6a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm0 12a2 2 0 1 1 0 4 2 2 0 0 1 0-4zM6.7 7.1l3.8 3.3-.7.8-3.8-3.3zm0 9.8-.7-.8 3.8-3.3.7.8zm10.6-9.8.7.8-3.8 3.3-.7-.8zm0 9.8-3.8-3.3.7-.8 3.8 3.3z"
      />
    </svg>
  );
};
